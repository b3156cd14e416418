"""Model groups: which models a group holds, its price multiplier and whether it is exclusive."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import ModelGroup
from ..roles import GROUPS
from .base import AuditedModelView, checkbox, when, yes_no


class ModelGroupView(AuditedModelView):
    datamodel = SQLAInterface(ModelGroup)
    route_base = "/admin/groups"
    class_permission_name = GROUPS
    audit_type = "group"
    audit_relations = ["models"]

    list_title = _l("Model groups")
    list_columns = ["name", "multiplier", "exclusive", "models", "created_at"]
    search_columns = ["name", "exclusive", "multiplier", "models"]
    order_columns = ["name", "multiplier", "exclusive", "created_at"]
    add_columns = edit_columns = ["name", "description", "multiplier", "exclusive", "models"]
    show_columns = ["name", "description", "multiplier", "exclusive", "models", "created_at"]
    add_form_extra_fields = edit_form_extra_fields = {"exclusive": checkbox(_l("Exclusive"))}
    base_order = ("name", "asc")
    label_columns = {
        "name": _l("Name"), "description": _l("Description"), "multiplier": _l("Multiplier"),
        "exclusive": _l("Exclusive"), "models": _l("Models"), "created_at": _l("Created"),
    }
    description_columns = {
        "multiplier": _l("Applied to every price of the group's models: 0.8 charges 80%."),
        "exclusive": _l("Exclusive groups are callable only by users granted them; public groups by everyone."),
    }
    formatters_columns = {"models": lambda models: ", ".join(m.public_id for m in models) or "—",
                          "exclusive": yes_no, "created_at": when, "description": lambda d: d or "—"}

    def pre_add(self, item):
        _check_multiplier(item)
        super().pre_add(item)

    def pre_update(self, item):
        _check_multiplier(item)
        super().pre_update(item)


def _check_multiplier(item: ModelGroup) -> None:
    if item.multiplier is None or item.multiplier <= 0:
        raise ValueError(_("Multiplier: must be greater than zero"))
