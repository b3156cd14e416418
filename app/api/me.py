"""GET /api/v1/me/account: balance, callable models and profile for the key's owner. Free to call."""
import orjson
from flask import Blueprint, Response, current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..billing import holds
from ..billing.units import usd_json
from ..extensions import db, limiter
from ..gateway import admission, catalog
from ..gateway.errors import GatewayError, error_response, unavailable
from ..platform_settings import platform_default
from ..models import KeyModelSpend, Membership, Organization, TollgateUser, Wallet
from .caller import key_bucket

bp = Blueprint("me_api", __name__, url_prefix="/api/v1/me")


@bp.get("/account")
@limiter.limit(lambda: current_app.config["ME_API_RATE_LIMIT"], key_func=key_bucket)
def account():
    call = admission.Call(api="openai", op="me")
    try:
        key = admission.authenticate(call)
        body = _account_body(key)
    except GatewayError as err:
        return error_response(err, "openai", {"X-Request-Id": call.request_id})
    except (holds.MeterUnavailable, SQLAlchemyError):
        return error_response(unavailable(), "openai", {"X-Request-Id": call.request_id})
    return Response(orjson.dumps(body), mimetype="application/json", headers={"X-Request-Id": call.request_id})


def _account_body(key) -> dict:
    session = db.session
    user = session.get(TollgateUser, key.user_id)
    wallet = session.get(Wallet, key.wallet_id)
    available, _ = holds.balances(key.wallet_id, key.key_id, key.quota)
    org_part, threshold = None, user.low_balance_threshold
    if key.org_id is not None:
        org = session.get(Organization, key.org_id)
        role = session.scalar(select(Membership.role).where(Membership.org_id == org.id,
                                                            Membership.user_id == user.id))
        org_part = {"id": org.id, "name": org.name, "role": role.value if role else "member"}
        threshold = org.low_balance_threshold
        if threshold is None:
            threshold = platform_default()["threshold"]  # the same fallback the alerts use
    spent = dict(session.execute(select(KeyModelSpend.model, KeyModelSpend.spent)
                                 .where(KeyModelSpend.api_key_id == key.key_id)).all())
    models = catalog.current().callable_models(key)
    session.rollback()
    return {
        "user": {"id": user.id, "username": user.username, "email": user.email,
                 "created_at": user.created_on.strftime("%Y-%m-%dT%H:%M:%SZ") if user.created_on else None,
                 "tier": user.tier.value},
        "balance": {
            "available_usd": usd_json(available),
            "lifetime_topup_usd": usd_json(wallet.lifetime_topup),
            "lifetime_spent_usd": usd_json(wallet.lifetime_spent),
            "low_balance_threshold_usd": usd_json(threshold),
            "low_balance_flagged": threshold is not None and available <= threshold,
        },
        "allowed_models": [{"id": m.public_id, "quota_used_usd": usd_json(spent.get(m.public_id, 0)),
                            "quota_cap_usd": usd_json(key.model_caps.get(m.public_id))}
                           for m in models],
        "org": org_part,
    }


