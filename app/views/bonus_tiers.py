"""The top-up bonus ladder: each step gives top-ups of at least its amount a bonus percent."""
from decimal import Decimal, InvalidOperation

from flask import request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from ..billing.units import credits_to_usd
from ..models import BonusTier
from ..roles import BONUS_LADDER
from .base import AuditedModelView, parse_usd, usd


class BonusTierView(AuditedModelView):
    datamodel = SQLAInterface(BonusTier)
    route_base = "/admin/bonus-ladder"
    class_permission_name = BONUS_LADDER
    audit_type = "bonus_tier"

    list_title = _l("Top-up bonus ladder")
    list_columns = show_columns = ["min_amount", "bonus_bps"]
    add_columns = edit_columns = ["min_amount_usd", "bonus_percent"]
    add_form_extra_fields = edit_form_extra_fields = {
        "min_amount_usd": StringField(_l("From (USD)"), description=_l("Top-ups of at least this amount")),
        "bonus_percent": StringField(_l("Bonus (%)"), description=_l("e.g. 3 or 11.2; the plan's bonus adds to it")),
    }
    base_order = ("min_amount", "asc")
    label_columns = {"min_amount": _l("From"), "bonus_bps": _l("Bonus")}
    formatters_columns = {"min_amount": usd, "bonus_bps": lambda bps: f"+{Decimal(bps) / 100:g}%"}

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        form.min_amount_usd.data = str(credits_to_usd(item.min_amount))
        form.bonus_percent.data = f"{Decimal(item.bonus_bps) / 100:g}"

    def pre_add(self, item):
        _apply(item)
        super().pre_add(item)

    def pre_update(self, item):
        _apply(item)
        super().pre_update(item)


def _apply(item: BonusTier) -> None:
    item.min_amount = parse_usd(request.form.get("min_amount_usd"), "From (USD)")
    raw = request.form.get("bonus_percent", "").strip()
    try:
        percent = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("Bonus (%%): %(value)s is not a percent", value=repr(raw))) from None
    if not percent.is_finite() or not 0 <= percent <= 100 or percent * 100 != int(percent * 100):
        raise ValueError(_("Bonus (%): from 0 to 100, with at most 2 decimals"))
    item.bonus_bps = int(percent * 100)
