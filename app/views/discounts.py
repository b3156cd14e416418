"""Discount codes: a percent bonus or a fixed amount, with a usage limit and an expiry."""
from decimal import Decimal, InvalidOperation

from flask import request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_appbuilder.fieldwidgets import DateTimePickerWidget
from wtforms import BooleanField, DateTimeField, SelectField, StringField
from wtforms.validators import Optional

from ..billing.units import credits_to_usd
from ..models import DiscountCode
from ..roles import DISCOUNTS
from .base import AuditedModelView, checkbox, parse_usd, usd, when, yes_no


class ExpiryField(DateTimeField):
    """FAB's picker fills in a bare date; that date means "valid through the end of that day" (UTC)."""

    def __init__(self, label, **kwargs):
        super().__init__(label, format=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
                         widget=DateTimePickerWidget(), validators=[Optional()], **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and valuelist and len(valuelist[0].strip()) == 10:
            self.data = self.data.replace(hour=23, minute=59, second=59)


class DiscountView(AuditedModelView):
    datamodel = SQLAInterface(DiscountCode)
    route_base = "/admin/discounts"
    class_permission_name = DISCOUNTS
    audit_type = "discount"

    list_title = _l("Discounts")
    list_columns = ["code", "kind", "percent_bps", "amount", "usage_limit", "redemption_count",
                    "expires_at", "active"]
    search_columns = ["code", "kind", "active", "expires_at", "redemption_count"]
    order_columns = ["code", "kind", "usage_limit", "redemption_count", "expires_at", "active"]
    add_columns = edit_columns = ["code", "kind_choice", "value", "usage_limit", "expires_at", "active"]
    show_columns = ["code", "kind", "percent_bps", "amount", "usage_limit", "redemption_count",
                    "expires_at", "active", "created_at"]
    _fields = {
        "expires_at": ExpiryField(_l("Expires"), description=_l("UTC. A date alone is valid through the end of "
                                                                 "that day. Empty: never expires.")),
        "kind_choice": SelectField(_l("Kind"), choices=[("percent", _l("Percent")), ("fixed", _l("Fixed amount (USD)"))]),
        "value": StringField(_l("Value"), description=_l("A percent (10 = 10%) or a USD amount")),
    }
    # New codes are active unless unticked; editing shows the stored state.
    add_form_extra_fields = {**_fields, "active": BooleanField(_l("Active"), default=True)}
    edit_form_extra_fields = {**_fields, "active": checkbox(_l("Active"))}
    base_order = ("created_at", "desc")
    label_columns = {
        "code": _l("Code"), "kind": _l("Kind"), "percent_bps": _l("Percent"), "amount": _l("Fixed amount"),
        "usage_limit": _l("Usage limit"), "redemption_count": _l("Redemptions"), "expires_at": _l("Expires"),
        "active": _l("Active"), "created_at": _l("Created"),
    }
    formatters_columns = {
        "percent_bps": lambda bps: f"{Decimal(bps) / 100:g}%" if bps is not None else "",
        "amount": usd, "expires_at": lambda v: when(v) if v else _l("Never"),
        "active": yes_no, "created_at": when,
        "usage_limit": lambda n: _l("Unlimited") if n is None else n,
    }

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        form.kind_choice.data = item.kind
        form.value.data = (str(Decimal(item.percent_bps or 0) / 100) if item.kind == "percent"
                           else str(credits_to_usd(item.amount or 0)))

    def pre_add(self, item):
        _apply_value(item)
        super().pre_add(item)

    def pre_update(self, item):
        _apply_value(item)
        super().pre_update(item)


def _apply_value(item: DiscountCode) -> None:
    kind = request.form.get("kind_choice", "percent")
    raw = request.form.get("value", "")
    if kind == "fixed":
        item.kind, item.percent_bps, item.amount = "fixed", None, parse_usd(raw, "Value")
        return
    try:
        percent = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError(_("Value: %(value)s is not a percent", value=repr(raw))) from None
    if not percent.is_finite() or not 0 < percent <= 100 or percent * 100 != int(percent * 100):
        raise ValueError(_("Value: a percent above 0 and at most 100, with at most 2 decimals"))
    item.kind, item.percent_bps, item.amount = "percent", int(percent * 100), None
    if item.usage_limit is not None and item.usage_limit < 0:
        raise ValueError(_("Usage limit: must not be negative"))
