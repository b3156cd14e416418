"""What every back-office view shares: audited writes and money shown in USD."""
import re

from flask import g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_appbuilder import ModelView
from markupsafe import Markup, escape
from wtforms import BooleanField

from .. import audit
from ..billing.units import usd_cents, usd_to_credits
from ..billing.units import usd_text as usd  # noqa: F401  (re-exported for the views)
from ..extensions import db
from ..labels import label
from ..moments import when  # noqa: F401  (re-exported for the views)


def credits_usd(credits: int | None) -> Markup:
    """A price: credits with the USD value beside it."""
    if credits is None:
        return Markup("")
    return Markup(f"{credits:,} <small class='text-muted'>({escape(usd(credits))})</small>")


# "1500", "1,500.00", "$1,500.5": what the screens show may be typed or saved back as is.
_USD_INPUT = re.compile(r"-?\$?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?")


def usd_input_to_credits(raw: str) -> int:
    """A USD amount as people write it, thousands separators and dollar sign allowed; ValueError if not."""
    text = raw.strip()
    if not _USD_INPUT.fullmatch(text):
        raise ValueError(f"not a USD amount: {raw!r}")
    return usd_to_credits(text.replace(",", "").replace("$", ""))


def exact_credits(credits: int) -> str:
    """The hover text beside a USD figure: the exact amount in credits."""
    return _("%(credits)s credits", credits=f"{credits:,}")


def money_cell(credits: int | None) -> Markup:
    """A balance or payment: two decimals, the exact credits on hover."""
    if credits is None:
        return Markup("—")
    return Markup(f"<span title='{escape(exact_credits(credits))}'>{escape(usd_cents(credits))}</span>")


def cost_cell(credits: int | None) -> Markup:
    """A per-request cost: up to six decimals, the exact credits on hover."""
    if credits is None:
        return Markup("—")
    return Markup(f"<span title='{escape(exact_credits(credits))}'>{escape(usd(credits))}</span>")


def yes_no(value) -> Markup:
    """A boolean as a badge people read, never True/False/None."""
    if value is None:
        return Markup("—")
    label, css = (_l("yes"), "success") if value else (_l("no"), "default")
    return Markup(f"<span class='label label-{css}'>{escape(str(label))}</span>")


def is_email(value: str) -> bool:
    """Looks like one address, and fits the 320-character email columns."""
    return "@" in value and " " not in value and len(value) <= 320


def parse_usd(raw: str | None, field: str, positive: bool = True) -> int:
    """A USD form value as credits, or ValueError naming the field."""
    raw = (raw or "").strip()
    if not raw:
        raise ValueError(f"{field}: enter an amount in USD")
    try:
        credits = usd_input_to_credits(raw)
    except ValueError:
        raise ValueError(f"{field}: {raw!r} is not a USD amount with at most 6 decimals") from None
    if positive and credits <= 0:
        raise ValueError(f"{field}: the amount must be greater than zero")
    return credits


class AuditedModelView(ModelView):
    """A ModelView whose adds, edits and deletes each write an audit row.

    FAB commits inside ``datamodel.add/edit/delete`` before calling ``post_*``, so the audit
    row is added in the ``pre_*`` hooks: it commits with the change or not at all.
    """

    audit_type = "record"  # action prefix: "<audit_type>.create|update|delete"
    audit_columns: list[str] | None = None  # None = every column
    audit_relations: list[str] = []  # many-to-many names recorded as lists of labels

    def snapshot(self, item) -> dict:
        data = audit.snapshot(item, self.audit_columns)
        for name in self.audit_relations:
            data[name] = sorted(str(x) for x in getattr(item, name) or [])
        return data

    def process_form(self, form, is_created):
        # Called before the form is copied onto the item: the last moment "before" exists.
        if not is_created and request.view_args and "pk" in request.view_args:
            item = self.datamodel.get(request.view_args["pk"])
            g.audit_before = self.snapshot(item) if item is not None else {}

    def pre_add(self, item):
        db.session.add(item)
        db.session.flush()  # the audit row names the new id
        audit.record(f"{self.audit_type}.create", item, {"after": self.snapshot(item)})

    def pre_update(self, item):
        before = g.pop("audit_before", {})
        audit.record(f"{self.audit_type}.update", item, audit.changes(before, self.snapshot(item)))

    def pre_delete(self, item):
        audit.record(f"{self.audit_type}.delete", item, {"before": self.snapshot(item)})


def or_dash(value):
    """An empty optional field reads as a dash, not Python's None."""
    return "—" if value is None or value == "" else value


def enum_value(value) -> str:
    return label(value)


def checkbox(label) -> BooleanField:
    """A checkbox that may be left unticked: FAB would mark a NOT NULL boolean as required."""
    return BooleanField(label, default=False)
