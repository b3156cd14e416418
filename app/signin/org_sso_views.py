"""Per-organization SSO: the login page's "Sign in with your organization", the IdP's callback, the owner's settings."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import audit
from ..console.access import login_required, org_scope
from ..crypto import encrypt
from ..extensions import db, limiter
from ..models import OrgRole, OrgSso
from . import clients, flow, org_sso
from .blueprint import bp, sign_in_limit
from .forms import OrgSsoForm, SsoEmailForm
from .provider_views import PROVIDER_ERRORS


@bp.post("/signin/sso")
@limiter.limit(sign_in_limit, scope="sso-routing")
def sso_start():
    form = SsoEmailForm()
    sso = org_sso.for_email(form.email.data) if form.validate_on_submit() else None
    if sso is None:
        flash(_("No organization signs in with single sign-on for this address; use your password or another "
                "provider."), "warning")
        return redirect(flow.login_url())
    session["signin_next"] = flow.safe_next(request.args.get("next"))
    return flow.leave_for(org_sso.client(sso), url_for("signin.sso_callback", org_id=sso.org_id, _external=True),
                          login_hint=form.email.data.strip())


@bp.get("/signin/sso/<int:org_id>/callback")
def sso_callback(org_id: int):
    sso = db.session.get(OrgSso, org_id)
    provider = org_sso.provider_name(org_id)
    if sso is None or not sso.enabled or not org_sso.offered(sso.org):
        return flow.refuse(_("This organization's single sign-on is off."), "sso off", method="sso", provider=provider)
    client = org_sso.client(sso)
    try:
        profile = org_sso.profile_for(sso, clients.authorize(client))
        user = org_sso.provision(sso, profile)
    except PROVIDER_ERRORS as exc:
        db.session.rollback()
        current_app.logger.info("org %s SSO refused: %r", org_id, exc)
        return flow.refuse(_("Single sign-on with %(org)s failed: %(why)s", org=sso.org.name, why=str(exc)),
                           "provider refused", method="sso", provider=provider, error=type(exc).__name__)
    if not user.is_active:
        return flow.refuse(_("This account is disabled."), "inactive", user, "sso", provider)
    db.session.commit()
    return flow.proceed(user, "sso", provider, session.pop("signin_next", None))


@bp.route("/console/orgs/<int:org_id>/sso", methods=["GET", "POST"])
@login_required
def org_sso_settings(org_id: int):
    scope = org_scope(org_id, OrgRole.owner)
    if not org_sso.offered(scope.org):
        return render_template("console/message.html", title=_("Single sign-on"),
                               message=_("Single sign-on is part of the Enterprise plan.")), 403
    sso = db.session.get(OrgSso, org_id)
    form = OrgSsoForm(obj=sso) if request.method == "GET" and sso else OrgSsoForm()
    if request.method == "GET" and sso:
        form.domains.data, form.role_map.data = ", ".join(sso.domains), form.role_map_text(sso.role_map)
        form.default_role.data = sso.default_role.value
    if form.validate_on_submit():
        taken = [d for d in form.domain_list if org_sso.domain_taken(d, org_id)]
        if taken:
            form.domains.errors.append(_("already used by another organization: %(d)s", d=", ".join(taken)))
        elif sso is None and not form.client_secret.data:
            form.client_secret.errors.append(_("is required the first time"))
        else:
            return _save(scope, sso, form)
    return render_template("signin/org_sso.html", scope=scope, form=form, sso=sso,
                           callback=url_for("signin.sso_callback", org_id=org_id, _external=True)), \
        400 if form.errors else 200


def _save(scope, sso, form):
    created = sso is None
    sso = sso or OrgSso(org_id=scope.org.id)
    before = None if created else _public(sso)
    sso.issuer, sso.client_id = form.issuer.data.strip().rstrip("/"), form.client_id.data.strip()
    if form.client_secret.data:
        sso.client_secret_encrypted = encrypt(form.client_secret.data)  # blank keeps the stored secret
    sso.domains, sso.role_map = form.domain_list, form.role_map_dict
    sso.default_role, sso.role_claim = OrgRole(form.default_role.data), (form.role_claim.data or "").strip() or None
    sso.sso_required, sso.enabled = form.sso_required.data, form.enabled.data
    db.session.add(sso)
    audit.record("sso.configured", target=scope.org, details={"before": before, "after": _public(sso),
                                                              "secret_changed": bool(form.client_secret.data)})
    db.session.commit()
    flash(_("Single sign-on settings saved."), "success")
    return redirect(url_for("signin.org_sso_settings", org_id=scope.org.id))


def _public(sso: OrgSso) -> dict:
    return {"issuer": sso.issuer, "client_id": sso.client_id, "domains": list(sso.domains or []),
            "default_role": sso.default_role.value if sso.default_role else None, "sso_required": sso.sso_required,
            "role_claim": sso.role_claim, "role_map": dict(sso.role_map or {}), "enabled": sso.enabled}
