"""The ledger: every wallet movement, filterable and exportable; refunds of top-ups for Finance."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import audit
from ..billing import money, refunds
from ..billing.stripe_api import PaymentsUnavailable
from ..billing.units import usd_plain
from ..extensions import db
from ..models import LedgerEntry, Topup, TxStatus, TxType
from ..reporting import ledger
from ..roles import TRANSACTIONS
from .base import enum_value, money_cell, parse_usd, usd, when
from .confirm_token import external_id, new_token, submitted_token
from .details import details_table
from .csv_export import ExportButtonMixin, csv_response, within_dates
from .money_filters import MoneyInterface

# USD columns: 2 decimals (rounded half-up); *_credits columns: exact (1 USD = 1,000,000 credits).
_CSV = ["id", "created_at", "wallet_id", "type", "status", "amount_usd", "amount_credits", "balance_after_usd",
        "balance_after_credits", "actor_id", "external_id", "comment",
        "price_usd", "stripe_payment_intent_id"]


def _wallet_owner(wallet) -> Markup:
    """An organization's or a user's name, linked, instead of "Wallet 12"."""
    if wallet is None:
        return Markup("—")
    if wallet.org is not None:
        return Markup('<a href="{}">{}</a>').format(url_for("OrgView.detail", pk=wallet.org.id), wallet.org.name)
    return Markup("{}").format(wallet.user.username if wallet.user else f"#{wallet.id}")


class FilterMoneyMovements(BaseFilter):
    """Hides per-call usage rows unless the page asks for every row (?rows=all)."""

    name = "money movements"
    arg_name = "movements"

    def apply(self, query, value):
        if ledger.wants_every_row(request.args):
            return query
        return query.filter(LedgerEntry.type != TxType.usage)


class TransactionView(ExportButtonMixin, ModelView):
    datamodel = MoneyInterface(LedgerEntry, ("amount", "balance_after"))
    route_base = "/admin/transactions"
    class_permission_name = TRANSACTIONS
    base_permissions = ["can_list", "can_show", "can_export", "can_refund"]

    list_title = _l("Transactions")
    list_columns = ["id", "created_at", "wallet", "type", "status", "amount", "balance_after", "actor", "comment"]
    search_columns = ["type", "status", "wallet", "created_at", "amount", "actor", "external_id", "comment"]
    order_columns = ["id", "created_at", "type", "status", "amount", "balance_after"]
    show_columns = ["id", "created_at", "completed_at", "wallet", "type", "status", "amount", "exact_amount",
                    "balance_after", "exact_balance_after", "actor", "comment", "external_id", "details"]
    # The wallet and actor filters take an id in the URL (?_flt_0_wallet=<id>, linked from each
    # org's page); listing every wallet and user in the search form's dropdowns took 0.7 s at 10k orgs.
    search_form_query_rel_fields = {"wallet": [["id", FilterEqual, -1]], "actor": [["id", FilterEqual, -1]]}
    base_order = ("id", "desc")
    base_filters = [["type", FilterMoneyMovements, None]]
    list_template = "admin/transactions_list.html"
    export_params = {"wallet": "wallet_id", "type": "type", "status": "status"}
    label_columns = {"created_at": _l("Date"), "completed_at": _l("Completed"), "wallet": _l("Wallet"),
                     "type": _l("Type"), "status": _l("Status"), "amount": _l("Amount"),
                     "balance_after": _l("Balance after"), "actor": _l("By"), "comment": _l("Comment"),
                     "external_id": _l("External id"), "details": _l("Details"),
                     "exact_amount": _l("Amount (credits, exact)"), "exact_balance_after": _l("Balance after (credits, exact)")}
    formatters_columns = {"amount": money_cell, "balance_after": money_cell, "type": enum_value,
                          "status": enum_value, "created_at": when, "completed_at": when,
                          "actor": lambda u: u.username if u else "—", "comment": lambda c: c or "",
                          "wallet": _wallet_owner, "external_id": lambda v: v or "—",
                          "details": lambda d: details_table(d)}

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            wallet = request.args.get("_flt_0_wallet", "")
            kwargs.update(every_row=ledger.wants_every_row(request.args), summary_days=ledger.SUMMARY_DAYS,
                          usage_days=ledger.usage_per_day(int(wallet) if wallet.isdigit() else None))
            if wallet.isdigit():  # one customer's transactions: a data access worth recording
                audit.record("data.view", ("Wallet", int(wallet)), {"screen": "transactions"})
                db.session.commit()
        return super().render_template(template, **kwargs)

    @expose("/export.csv")
    @has_access
    def export(self):
        """CSV of the ledger, filtered by ?type=&status=&wallet_id=&start=&end= (dates YYYY-MM-DD)."""
        stmt = (select(LedgerEntry.__table__, Topup.price, Topup.stripe_payment_intent_id)
                .outerjoin(Topup, Topup.ledger_entry_id == LedgerEntry.id))
        try:
            for name, column in (("type", LedgerEntry.type), ("status", LedgerEntry.status)):
                if request.args.get(name):
                    enum = TxType if name == "type" else TxStatus
                    stmt = stmt.where(column == enum(request.args[name]))
            if request.args.get("wallet_id"):
                stmt = stmt.where(LedgerEntry.wallet_id == int(request.args["wallet_id"]))
            stmt = within_dates(stmt, LedgerEntry.created_at)
        except ValueError as exc:
            return f"Filter: {exc}", 400
        stmt = stmt.order_by(LedgerEntry.id)

        def make_rows(conn):
            for r in conn.execution_options(stream_results=True).execute(stmt):
                yield [r.id, r.created_at.isoformat(timespec="seconds"), r.wallet_id, r.type, r.status,
                       usd_plain(r.amount, 2), r.amount, usd_plain(r.balance_after, 2), r.balance_after,
                       r.actor_id, r.external_id, r.comment,
                       "" if r.price is None else usd_plain(r.price, 2), r.stripe_payment_intent_id or ""]

        return csv_response("transactions.csv", _CSV, make_rows)

    @expose("/<int:pk>/refund", methods=["GET", "POST"])
    @has_access
    def refund(self, pk):
        """Refund part or all of a completed top-up: credits leave the wallet as a credit_refund."""
        entry = db.session.get(LedgerEntry, pk) or abort(404)
        if entry.type != TxType.credit_topup or entry.status != TxStatus.completed:
            flash(_("Transaction: only completed top-ups can be refunded"), "danger")
            return redirect(url_for("TransactionView.show", pk=pk))
        if request.method == "GET":
            return self._refund_page(entry, new_token())
        token = None
        try:
            token = submitted_token()
            amount = parse_usd(request.form.get("amount_usd"), _("Amount (USD)"))
            reason = request.form.get("comment", "").strip()
            if not reason:
                raise ValueError(_("Comment: give the reason for the refund"))
            topup = db.session.scalar(select(Topup).where(Topup.ledger_entry_id == pk))
            if topup is not None and topup.stripe_payment_intent_id:
                # Paid through Stripe: the money goes back on the card first (amount = USD refunded).
                refund = refunds.refund_topup(db.session, topup, amount, actor_id=current_user.id, comment=reason,
                                              idempotency_key=token)
            else:
                refund = money.refund(db.session, pk, amount, actor_id=current_user.id, comment=reason,
                                      external_id=external_id("refund", token))
        except (refunds.RefundRefused, PaymentsUnavailable) as exc:
            db.session.rollback()
            return self._refund_error(entry, token, _("Amount (USD): %(reason)s", reason=str(exc)))
        except money.RefundTooLarge:
            db.session.rollback()
            return self._refund_error(entry, token, _("Amount (USD): at most %(max)s is left to refund",
                                                      max=usd(entry.amount - money.refunded(db.session, pk))))
        except money.InsufficientFunds:
            db.session.rollback()
            return self._refund_error(entry, token, _("Amount (USD): the wallet balance is too low"))
        except ValueError as exc:
            db.session.rollback()
            return self._refund_error(entry, token, str(exc))
        if refund is None:
            db.session.rollback()
            flash(_("This form was already submitted: nothing was posted twice."), "warning")
            return redirect(url_for("TransactionView.show", pk=pk))
        audit.record("wallet.refund", entry.wallet, {"amount": refund.amount, "refund_of": pk, "comment": reason,
                                                     "ledger_entry_id": refund.id,
                                                     "stripe_refund_id": (refund.details or {}).get("stripe_refund_id")})
        db.session.commit()
        flash(_("Refunded %(amount)s.", amount=usd(amount)), "success")
        return redirect(url_for("TransactionView.show", pk=refund.id))

    def _refund_page(self, entry, token):
        refundable = entry.amount - money.refunded(db.session, entry.id)
        return self.render_template("admin/refund.html", entry=entry, refundable=refundable, token=token)

    def _refund_error(self, entry, token, message):
        # Nothing was posted, so the same token may confirm the corrected form.
        flash(message, "danger")
        return self._refund_page(entry, token or new_token()), 400
