"""Gift credits (Support, Admin) and balance adjustments (Finance): a form, a confirm step, one posting."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, gifts
from ..billing import money
from ..extensions import db
from ..labels import label
from ..models import Organization, TxType
from .base import parse_usd, usd
from .confirm_token import external_id, new_token, submitted_token


class CreditFormsMixin:
    """Routes mixed into OrgView, so their permissions are can_gift / can_adjust on it."""

    @expose("/<int:pk>/gift", methods=["GET", "POST"])
    @has_access
    def gift(self, pk):
        org = _org(pk)
        return self._credit_form(org, "gift", {"gift": TxType.credit_gift}, comment_required=False)

    @expose("/<int:pk>/adjust", methods=["GET", "POST"])
    @has_access
    def adjust(self, pk):
        org = _org(pk)
        return self._credit_form(org, "adjust", {"credit": TxType.admin_credit, "debit": TxType.admin_debit},
                                 comment_required=True)

    def _credit_form(self, org, kind, directions, comment_required):
        form = {"amount_usd": request.form.get("amount_usd", ""), "comment": request.form.get("comment", "").strip(),
                "direction": request.form.get("direction", next(iter(directions)))}
        step = request.form.get("step", "edit") if request.method == "POST" else "edit"
        error, token = None, None
        if step in ("review", "confirm"):
            try:
                credits = parse_usd(form["amount_usd"], _("Amount (USD)"))
                if form["direction"] not in directions:
                    raise ValueError(_("Direction: choose credit or debit"))
                if comment_required and not form["comment"]:
                    raise ValueError(_("Comment: required for balance adjustments"))
                token = submitted_token() if step == "confirm" else new_token()
            except ValueError as exc:
                error, step = str(exc), "edit"
        if step == "confirm" and kind == "gift":
            reason = gifts.over_limit(current_user, credits)
            if reason:
                return self._file_gift_request(org, credits, form["comment"], reason, token)
        if step == "confirm":
            tx_type = directions[form["direction"]]
            amount = -credits if tx_type == TxType.admin_debit else credits
            try:
                entry = money.post_once(db.session, money.Posting(
                    wallet_id=org.wallet.id, amount=amount, type=tx_type, actor_id=current_user.id,
                    comment=form["comment"] or None, external_id=external_id(kind, token)))
            except money.InsufficientFunds:
                db.session.rollback()
                error, step = _("Amount (USD): the wallet holds only %(balance)s", balance=usd(org.wallet.balance)), "edit"
            else:
                if entry is None:
                    db.session.rollback()
                    flash(_("This form was already submitted: nothing was posted twice."), "warning")
                    return redirect(url_for("OrgView.detail", pk=org.id))
                action = "wallet.gift" if tx_type == TxType.credit_gift else f"wallet.{tx_type.value}"
                audit.record(action, org, {"amount": amount, "amount_usd": usd(amount), "comment": form["comment"],
                                           "ledger_entry_id": entry.id, "balance_after": entry.balance_after})
                db.session.commit()
                flash(_("%(amount)s posted to %(org)s (%(type)s).", amount=usd(amount), org=org.name,
                        type=label(tx_type)), "success")
                return redirect(url_for("OrgView.detail", pk=org.id))
        if error:
            flash(error, "danger")
        limits = gifts.limits_for(current_user) if kind == "gift" else None
        page = self.render_template("admin/credit_form.html", org=org, kind=kind, form=form, step=step,
                                    directions=list(directions), amount_display=_preview(form, step),
                                    token=token, limits=limits,
                                    needs_approval=step == "review" and kind == "gift"
                                    and gifts.over_limit(current_user, credits))
        return (page, 400) if error else page


    def _file_gift_request(self, org, credits, comment, reason, token):
        gift = gifts.request_gift(org, credits, comment or None, reason, current_user, external_id("gift", token))
        if gift is None:
            db.session.rollback()
            flash(_("This form was already submitted: nothing was filed twice."), "warning")
        else:
            db.session.commit()
            flash(_("%(amount)s is %(reason)s: request #%(id)d waits for an Admin or Finance approval.",
                    amount=usd(credits), reason=reason, id=gift.id), "warning")
        return redirect(url_for("OrgView.detail", pk=org.id))


def _org(pk) -> Organization:
    org = db.session.get(Organization, pk)
    if org is None or org.wallet is None:
        abort(404)
    return org


def _preview(form, step) -> str:
    return usd(parse_usd(form["amount_usd"], "amount")) if step == "review" else ""
