"""Gift requests above a giver's limit: Admin or Finance approve or reject them (four eyes)."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import gifts
from ..billing.units import usd_text
from ..extensions import db
from ..models import GiftRequest
from ..roles import GIFT_REQUESTS
from .base import enum_value, money_cell, or_dash, when


class GiftRequestView(ModelView):
    datamodel = SQLAInterface(GiftRequest)
    route_base = "/admin/gift-requests"
    class_permission_name = GIFT_REQUESTS
    base_permissions = ["can_list", "can_show", "can_approve", "can_reject"]

    list_title = _l("Gift requests")
    list_columns = ["created_at", "org", "amount", "reason", "requested_by", "status", "decided_by", "decided_at"]
    search_columns = ["status", "org", "requested_by", "decided_by", "created_at"]
    order_columns = ["created_at", "amount", "status", "decided_at"]
    show_columns = list_columns + ["comment", "decision_comment", "ledger_entry_id"]
    show_template = "admin/gift_request_show.html"
    base_order = ("id", "desc")
    label_columns = {"created_at": _l("Requested"), "org": _l("Organization"), "amount": _l("Amount"),
                     "reason": _l("Why approval is needed"), "requested_by": _l("Requested by"),
                     "status": _l("Status"), "decided_by": _l("Decided by"), "decided_at": _l("Decided"),
                     "comment": _l("Comment"), "decision_comment": _l("Decision comment"),
                     "ledger_entry_id": _l("Ledger entry")}
    formatters_columns = {"amount": money_cell, "status": enum_value, "created_at": when, "decided_at": when,
                          "requested_by": lambda u: u.username if u else "—",
                          "decided_by": lambda u: u.username if u else "—",
                          "comment": or_dash, "decision_comment": or_dash, "ledger_entry_id": or_dash}

    @expose("/<int:pk>/approve", methods=["POST"])
    @has_access
    def approve(self, pk):
        return self._decide(pk, gifts.approve, _("Gift request #%(id)d approved: %(amount)s posted."))

    @expose("/<int:pk>/reject", methods=["POST"])
    @has_access
    def reject(self, pk):
        return self._decide(pk, gifts.reject, _("Gift request #%(id)d rejected."))

    def _decide(self, pk, decide, message):
        db.session.get(GiftRequest, pk) or abort(404)
        try:
            gift = decide(pk, current_user, request.form.get("comment", "").strip() or None)
        except gifts.GiftError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("GiftRequestView.show", pk=pk))
        db.session.commit()
        flash(message % {"id": gift.id, "amount": usd_text(gift.amount)}, "success")
        return redirect(url_for("GiftRequestView.show", pk=pk))

    def render_template(self, template, **kwargs):
        if template == self.show_template:
            gift = db.session.get(GiftRequest, (request.view_args or {}).get("pk"))
            kwargs["can_decide"] = bool(gift and gift.status.value == "pending"
                                        and gift.requested_by_id != current_user.id)
        return super().render_template(template, **kwargs)
