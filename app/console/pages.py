"""The console's read pages and the profile: dashboard, wallet, logs, profile."""
import datetime as dt

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..billing import subscribe
from ..billing.stripe_api import checkout_origin
from ..billing.units import credits_to_usd
from ..extensions import db, limiter
from ..headers import policy_with_form_action
from ..models import BonusTier, OrgRole
from ..call_log import UsageScope
from .access import MANAGERS, login_required, org_scope, usage_scope
from . import call_log, links
from .account_views import find_by_email, mail_limit, mail_or_warn
from .blueprint import bp, message_page
from .credentials import password_matches, set_password
from .figures import (daily_costs, ledger_page, low_balance, month_totals, org_wallet, recent_calls,
                      user_wallet)
from .forms import ChangeEmailForm, ChangePasswordForm, LanguageForm


@bp.get("/")
@login_required
def home():
    return _dashboard(None, usage_scope(None), user_wallet(current_user))


@bp.get("/orgs/<int:org_id>/")
@login_required
def org_dashboard(org_id: int):
    scope = org_scope(org_id)
    return _dashboard(scope, usage_scope(org_id), org_wallet(scope.org))



def _dashboard(scope, usage: UsageScope, wallet):
    today = dt.date.today()
    org = scope.org if scope else None
    threshold, flagged = low_balance(wallet, org, current_user) if wallet else (None, False)
    days = daily_costs(usage, today)
    chart = {"labels": [d for d, _ in days],
             "datasets": [{"label": "USD", "data": [float(credits_to_usd(c)) for _, c in days]}]}
    return render_template("console/dashboard.html", scope=scope, totals=month_totals(usage, today), today=today,
                           wallet=wallet, threshold=threshold, low=flagged, chart=chart,
                           calls=recent_calls(usage), own_calls_only=usage.user_id is not None and org is not None)


@bp.get("/wallet")
@login_required
def wallet():
    return _wallet_page(None, user_wallet(current_user))


@bp.get("/orgs/<int:org_id>/wallet")
@login_required
def org_wallet_page(org_id: int):
    # Billing is for whoever manages the org; viewers read it too (read-only org figures).
    scope = org_scope(org_id, *MANAGERS, OrgRole.viewer)
    return _wallet_page(scope, org_wallet(scope.org))


def _wallet_page(scope, wallet):
    if wallet is None:
        abort(404)
    page = request.args.get("page", "1")
    if not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= 100_000:
        return message_page(_("Wallet"), "page: must be a whole number from 1 to 100000")
    entries, more = ledger_page(wallet, int(page))
    if scope is None:
        links = {"topup_url": url_for("console.topup"), "csv_url": url_for("console.transactions_csv"),
                 "quote_url": url_for("console.quote"),
                 "receipt_base": url_for("console.wallet") + "/receipts"}
        can_topup, plan_bps = True, 0
    else:
        org_id = scope.org.id
        links = {"topup_url": url_for("console.org_topup", org_id=org_id),
                 "quote_url": url_for("console.org_quote", org_id=org_id),
                 "csv_url": url_for("console.org_transactions_csv", org_id=org_id),
                 "receipt_base": url_for("console.org_wallet_page", org_id=org_id) + "/receipts"}
        can_topup, plan_bps = scope.can(OrgRole.owner), scope.org.plan.topup_bonus_bps
        links["plan_box"] = subscribe.describe(db.session, scope.org)
        links.update(subscribe_url=url_for("console.org_subscribe", org_id=org_id),
                     change_url=url_for("console.org_change_plan", org_id=org_id),
                     cancel_url=url_for("console.org_cancel_subscription", org_id=org_id))
    ladder = db.session.scalars(select(BonusTier).order_by(BonusTier.min_amount)).all()
    response = make_response(render_template("console/wallet.html", scope=scope, wallet=wallet, entries=entries,
                                             page=int(page), more=more, can_topup=can_topup, plan_bps=plan_bps,
                                             ladder=ladder, **links))
    # The top-up form's answer redirects to Stripe Checkout: the policy must let the form go there.
    response.headers["Content-Security-Policy"] = policy_with_form_action(checkout_origin())
    return response


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(mail_limit, scope="console-mail", methods=["POST"],
                      exempt_when=lambda: request.form.get("action") != "email")  # only the form that mails
def profile():
    password_form, language_form = ChangePasswordForm(prefix="pw"), LanguageForm(prefix="lang")
    email_form = ChangeEmailForm(prefix="email")
    status = 200
    if request.method == "POST" and request.form.get("action") == "email":
        if email_form.validate_on_submit():
            new = email_form.email.data.strip().lower()
            if not password_matches(current_user, email_form.current.data):
                email_form.current.errors.append(_("is not your current password"))
            elif new == (current_user.email or "").lower():
                email_form.email.errors.append(_("is already your address"))
            elif find_by_email(new) is not None:
                email_form.email.errors.append(_("is used by another account"))
            else:
                audit.record("console.email_change_requested", target=current_user, details={"to": new})
                db.session.commit()
                if mail_or_warn(links.send_email_change, current_user, new):
                    flash(_("We sent a link to %(new)s. Your account keeps %(email)s until you open it.", new=new,
                            email=current_user.email),
                          "info")
                return redirect(url_for("console.profile"))
        status = 400
    elif request.method == "POST" and request.form.get("action") == "password":
        if password_form.validate_on_submit():
            if password_matches(current_user, password_form.current.data):
                set_password(current_user, password_form.password.data)
                audit.record("console.password_changed", target=current_user)
                db.session.commit()
                flash(_("Your password is changed."), "success")
                return redirect(url_for("console.profile"))
            password_form.current.errors.append(_("is not your current password"))
        status = 400
    elif request.method == "POST" and request.form.get("action") == "language":
        if language_form.validate_on_submit():
            current_user.locale = session["locale"] = language_form.locale.data
            db.session.commit()
            return redirect(url_for("console.profile"))
        status = 400
    elif request.method == "POST":
        abort(400)
    language_form.locale.data = language_form.locale.data or current_user.locale or "en"
    return render_template("console/profile.html", password_form=password_form, language_form=language_form,
                           email_form=email_form), status


@bp.get("/logs")
@login_required
def logs():
    return _logs_page(None, usage_scope(None))


@bp.get("/orgs/<int:org_id>/logs")
@login_required
def org_logs(org_id: int):
    return _logs_page(org_scope(org_id), usage_scope(org_id))


def _logs_page(scope, usage: UsageScope):
    keys = call_log.visible_keys(usage)
    try:
        filters = call_log.parse_filters(request.args)
        if filters.key_id is not None and filters.key_id not in {k.id for k in keys}:
            abort(404)  # another member's or another org's key: as if it did not exist
        rows, next_cursor = call_log.page(usage, filters)
    except call_log.BadFilter as exc:
        return message_page(_("Logs"), str(exc))
    return render_template("console/logs.html", scope=scope, rows=rows, keys=keys, filters=filters,
                           next_cursor=next_cursor, key_names={k.id: f"{k.name} ({k.prefix})" for k in keys})
