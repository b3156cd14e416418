"""/api/v1/me/keys: the caller's API keys, under the rules of app/key_admin.py."""
from flask import Blueprint, request

from .. import key_admin, key_fields
from ..extensions import db
from ..inputs import InputError
from .caller import int_arg, json_object, me_endpoint

bp = Blueprint("me_keys_api", __name__, url_prefix="/api/v1/me/keys")

KEY_STATUSES = ("active", "revoked", "expired")


@bp.get("")
@me_endpoint
def list_keys(actor):
    status = request.args.get("status")
    if status is not None and status not in KEY_STATUSES:
        raise InputError("status", f"status must be one of {', '.join(KEY_STATUSES)}")
    limit = int_arg("limit", 50, 1, 200)
    keys = key_admin.listing(actor, status, int_arg("after"), limit)
    next_after = keys[-1].id if len(keys) == limit else None
    return {"data": [key_fields.describe(k) for k in keys], "next_after": next_after}


@bp.post("")
@me_endpoint
def create_key(actor):
    key, secret = key_admin.create(actor, json_object())
    body = {**key_fields.describe(key), "secret": secret}
    db.session.commit()
    return body, 201


@bp.get("/<int:key_id>")
@me_endpoint
def get_key(actor, key_id):
    body = key_fields.describe(key_admin.get(actor, key_id))
    return body


@bp.patch("/<int:key_id>")
@me_endpoint
def update_key(actor, key_id):
    body = key_fields.describe(key_admin.update(actor, key_id, json_object()))
    db.session.commit()
    return body


@bp.delete("/<int:key_id>")
@me_endpoint
def revoke_key(actor, key_id):
    body = key_fields.describe(key_admin.revoke(actor, key_id))
    db.session.commit()
    return body


@bp.post("/<int:key_id>/rotate")
@me_endpoint
def rotate_key(actor, key_id):
    key, secret = key_admin.rotate(actor, key_id)
    body = {**key_fields.describe(key), "secret": secret, "replaces": key_id}
    db.session.commit()
    return body, 201


@bp.post("/batch")
@me_endpoint
def batch(actor):
    payload = json_object("action", "ids")
    keys = key_admin.batch(actor, payload.get("action"), payload.get("ids"))
    body = {"action": payload["action"], "data": [key_fields.describe(k) for k in keys]}
    db.session.commit()
    return body
