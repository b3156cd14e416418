"""The console's money-in pages: the top-up form (to Stripe Checkout), receipts and the CSV statement."""
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..billing import auto_recharge, statement, topups
from ..billing.stripe_api import PaymentsUnavailable
from ..billing.units import usd_text
from ..extensions import db
from ..inputs import InputError
from ..models import LedgerEntry, OrgRole, Plan, Topup, TxStatus, Wallet
from .access import MANAGERS, login_required, org_scope
from .blueprint import bp, input_refused
from .figures import org_wallet, user_wallet


@bp.post("/wallet/topup")
@login_required
def topup():
    return _topup(user_wallet(current_user), _personal_plan(), url_for("console.wallet", _external=True))


@bp.post("/orgs/<int:org_id>/wallet/topup")
@login_required
def org_topup(org_id: int):
    scope = org_scope(org_id, OrgRole.owner)
    return _topup(org_wallet(scope.org), scope.org.plan_id,
                  url_for("console.org_wallet_page", org_id=org_id, _external=True), org=scope.org)


def _personal_plan() -> int | None:
    """Personal wallets are on the Free plan (as app/actor.py has it)."""
    return db.session.scalar(select(Plan.id).where(Plan.code == "free"))


def _topup(wallet: Wallet | None, plan_id: int | None, page: str, org=None):
    if wallet is None:
        abort(404)
    try:
        q = topups.quote(db.session, wallet.id, plan_id, request.form.get("amount_usd", "").strip(),
                         request.form.get("discount_code", "").strip() or None)
        customer = auto_recharge.ensure_customer(db.session, org) if org is not None else None
        _, url = topups.start(db.session, q, wallet_id=wallet.id, user_id=current_user.id,
                              email=(org.billing_email if org is not None else None) or current_user.email,
                              success_url=f"{page}?paid=1", cancel_url=f"{page}?cancelled=1", customer=customer)
    except (InputError, PaymentsUnavailable) as exc:
        db.session.rollback()
        flash(str(exc), "danger")  # the message names the field
        return redirect(page)
    db.session.commit()
    return redirect(url, code=303)


@bp.get("/wallet/quote")
@login_required
def quote():
    return _quote(user_wallet(current_user), _personal_plan())


@bp.get("/orgs/<int:org_id>/wallet/quote")
@login_required
def org_quote(org_id: int):
    scope = org_scope(org_id, OrgRole.owner)
    return _quote(org_wallet(scope.org), scope.org.plan_id)


def _quote(wallet: Wallet | None, plan_id: int | None):
    """What the top-up form would deliver, for the page to show before paying."""
    if wallet is None:
        abort(404)
    try:
        q = topups.quote(db.session, wallet.id, plan_id, request.args.get("amount_usd", "").strip(),
                         request.args.get("discount_code", "").strip() or None)
    except InputError as exc:
        return jsonify({"error": {"message": str(exc), "param": exc.field}}), 400
    finally:
        db.session.rollback()
    return jsonify({**topups.describe(q), "credits_text": usd_text(q.credits), "price_text": usd_text(q.price)})


@bp.get("/wallet/transactions.csv")
@login_required
def transactions_csv():
    wallet = user_wallet(current_user) or abort(404)
    return _csv(wallet)


@bp.get("/orgs/<int:org_id>/wallet/transactions.csv")
@login_required
def org_transactions_csv(org_id: int):
    scope = org_scope(org_id, *MANAGERS, OrgRole.viewer)
    return _csv(org_wallet(scope.org))


def _csv(wallet: Wallet):
    try:
        stmt = statement.query(wallet.id, request.args)
    except InputError as exc:
        return input_refused(_("Transactions"), exc)
    db.session.rollback()
    return statement.csv_stream(stmt)


@bp.get("/wallet/receipts/<int:entry_id>")
@login_required
def receipt(entry_id: int):
    return _receipt(user_wallet(current_user), None, entry_id)


@bp.get("/orgs/<int:org_id>/wallet/receipts/<int:entry_id>")
@login_required
def org_receipt(org_id: int, entry_id: int):
    scope = org_scope(org_id, *MANAGERS, OrgRole.viewer)
    return _receipt(org_wallet(scope.org), scope, entry_id)


def _receipt(wallet: Wallet | None, scope, entry_id: int):
    """A printable receipt of one completed top-up of this wallet; 404 for anything else."""
    row = db.session.execute(select(LedgerEntry, Topup).join(Topup, Topup.ledger_entry_id == LedgerEntry.id)
                             .where(LedgerEntry.id == entry_id, LedgerEntry.wallet_id == (wallet.id if wallet else -1),
                                    LedgerEntry.status == TxStatus.completed)).first()
    if row is None:
        abort(404)
    return render_template("console/receipt.html", entry=row.LedgerEntry, topup=row.Topup, scope=scope,
                           owner=scope.org.name if scope else current_user.email)
