"""The Webhooks page: an org's endpoints (owners and admins) or an individual's own.

Every rule (who manages which endpoints, what a field may hold, how a test or a replay is
sent) is app/webhooks/endpoints.py's, the one the JSON API uses; these views only turn forms
into its calls and its refusals into pages. Another owner's endpoint answers 404.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import actor as actors, audit
from ..extensions import db
from ..webhooks import endpoints
from .access import MANAGERS, login_required, org_scope
from .blueprint import bp, message_page
from .forms import ConfirmForm, confirmed_or_400, WebhookForm

DELIVERIES_PAGE = 20


def _route(rule: str, methods=("GET",)):
    """One view for the personal URL (/console/webhooks...) and the org's (/console/orgs/<id>/webhooks...)."""
    def register(view):
        view = login_required(view)
        bp.add_url_rule(rule, view_func=view, methods=methods, defaults={"org_id": None})
        bp.add_url_rule(f"/orgs/<int:org_id>{rule}", view_func=view, methods=methods)
        return view
    return register


def _owner(org_id: int | None):
    """(org scope or None, Owner): 404 outside the org, 403 for members and viewers."""
    scope = org_scope(org_id, *MANAGERS) if org_id is not None else None
    return scope, endpoints.owner_of(actors.for_user(current_user.id, org_id))


def _endpoint(org_id: int | None, endpoint_id: int):
    scope, owner = _owner(org_id)
    try:
        return scope, endpoints.get(db.session, owner, endpoint_id)
    except endpoints.NotFound:
        abort(404)


def _here(endpoint_name: str, org_id: int | None, **values) -> str:
    return url_for(f"console.{endpoint_name}", org_id=org_id, **values)


@_route("/webhooks", methods=("GET", "POST"))
def webhooks(org_id: int | None):
    scope, owner = _owner(org_id)
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            endpoint = endpoints.create(db.session, owner, endpoints.clean(form.fields(), partial=False))
        except endpoints.Invalid as exc:
            _field_error(form, exc)
        else:
            audit.record("console.webhook_created", target=endpoint, details={"url": endpoint.url})
            secret = endpoint.secret
            db.session.commit()
            return _secret_page(scope, endpoint, secret, org_id)
    return render_template("console/webhooks.html", scope=scope, org_id=org_id, form=form,
                           rows=endpoints.listing(db.session, owner)), 400 if form.errors else 200


@_route("/webhooks/<int:endpoint_id>", methods=("GET", "POST"))
def webhook(org_id: int | None, endpoint_id: int):
    scope, endpoint = _endpoint(org_id, endpoint_id)
    form = WebhookForm(data=None if request.method == "POST" else {
        "url": endpoint.url, "description": endpoint.description, "active": endpoint.enabled,
        "all_events": endpoint.events is None, "events": endpoint.events or []})
    if form.validate_on_submit():
        try:
            endpoints.update(endpoint, endpoints.clean(form.fields(), partial=True))
        except endpoints.Invalid as exc:
            _field_error(form, exc)
        else:
            audit.record("console.webhook_changed", target=endpoint, details=form.fields())
            db.session.commit()
            flash(_("Webhook endpoint saved."), "success")
            return redirect(_here("webhook", org_id, endpoint_id=endpoint.id))
    before = request.args.get("before")
    if before is not None and not (before.isascii() and before.isdigit() and len(before) <= 18):
        return message_page(_("Webhooks"), "before: must be a delivery id")
    page, attempts, more = endpoints.deliveries(db.session, endpoint, int(before) if before else None,
                                                DELIVERIES_PAGE)
    return render_template("console/webhook.html", scope=scope, org_id=org_id, endpoint=endpoint, form=form,
                           confirm=ConfirmForm(), deliveries=page, attempts=attempts,
                           older=page[-1].id if more else None), 400 if form.errors else 200


@_route("/webhooks/<int:endpoint_id>/rotate", methods=("POST",))
def webhook_rotate(org_id: int | None, endpoint_id: int):
    scope, endpoint = _endpoint(org_id, endpoint_id)
    confirmed_or_400()
    secret = endpoints.rotate_secret(endpoint)
    audit.record("console.webhook_secret_rotated", target=endpoint)
    db.session.commit()
    return _secret_page(scope, endpoint, secret, org_id)


@_route("/webhooks/<int:endpoint_id>/delete", methods=("POST",))
def webhook_delete(org_id: int | None, endpoint_id: int):
    _scope, endpoint = _endpoint(org_id, endpoint_id)
    confirmed_or_400()
    audit.record("console.webhook_deleted", target=endpoint, details={"url": endpoint.url})
    db.session.delete(endpoint)
    db.session.commit()
    flash(_("Webhook endpoint deleted."), "success")
    return redirect(_here("webhooks", org_id))


@_route("/webhooks/<int:endpoint_id>/test", methods=("POST",))
def webhook_test(org_id: int | None, endpoint_id: int):
    return _send(org_id, endpoint_id, None)


@_route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay", methods=("POST",))
def webhook_replay(org_id: int | None, endpoint_id: int, delivery_id: int):
    return _send(org_id, endpoint_id, delivery_id)


def _send(org_id: int | None, endpoint_id: int, delivery_id: int | None):
    _scope, endpoint = _endpoint(org_id, endpoint_id)
    confirmed_or_400()
    try:
        delivery = endpoints.send(db.session, endpoint, delivery_id)
    except endpoints.NotFound:
        abort(404)
    except endpoints.Disabled:
        flash(_("This endpoint is switched off; make it active first."), "danger")
        return redirect(_here("webhook", org_id, endpoint_id=endpoint_id))
    flash(_("Delivery %(delivery)s of event %(event)s is on its way.", delivery=delivery.id, event=delivery.event_id),
          "success")
    return redirect(_here("webhook", org_id, endpoint_id=endpoint_id))



def _field_error(form: WebhookForm, exc: endpoints.Invalid) -> None:
    field = getattr(form, exc.field, None) or form.url
    field.errors = [*field.errors, str(exc)]


def _secret_page(scope, endpoint, secret: str, org_id: int | None):
    """The signing secret, shown this once: it is never displayed again."""
    return render_template("console/webhook_secret.html", scope=scope, org_id=org_id, endpoint=endpoint,
                           secret=secret)
