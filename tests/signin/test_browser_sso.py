"""In real headless Chromium: an address in an org's domain goes to its IdP and comes back a new member."""
from sqlalchemy import select

from app.crypto import encrypt
from app.extensions import db
from app.models import AuditLog, Membership, OrgRole, OrgSso, TollgateUser
from tests.admin.test_browser_e2e import live_server, page, pytestmark  # noqa: F401 (fixtures, chromium skip)
from tests.factories import make_org
from .conftest import verified_user
from .oidc_provider import LocalOidcProvider


def test_domain_routing_sends_a_newcomer_to_the_org_idp_and_provisions_them(live_server, page, csrf_on):
    idp = LocalOidcProvider(client_id="globex-tollgate", client_secret="globex-secret").start()
    try:
        org = make_org("Globex", plan="enterprise", owner=verified_user("globex-owner"))
        db.session.add(OrgSso(org_id=org.id, issuer=idp.issuer, client_id=idp.client_id,
                              client_secret_encrypted=encrypt(idp.client_secret), domains=["globex.example"],
                              default_role=OrgRole.viewer, sso_required=True, role_map={}, enabled=True))
        db.session.commit()
        idp.next_user = {"sub": "00u-hank", "email": "hank@globex.example", "email_verified": True, "name": "Hank"}

        page.goto(f"{live_server}/login/")
        page.fill("#sso-email", "hank@globex.example")
        page.click("#sso-continue")
        page.wait_for_url(f"{live_server}/console/")
        assert page.is_visible("#month-totals")
        assert page.is_visible("text=Globex")
        assert not page.csp_violations

        db.session.expire_all()
        user = db.session.scalar(select(TollgateUser).where(TollgateUser.email == "hank@globex.example"))
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert (membership.org_id, membership.role) == (org.id, OrgRole.viewer)
        assert idp.token_requests[0]["code_verifier"]
        row = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_success")).all()[-1]
        assert row.details["method"] == "sso" and "Chrome" in row.user_agent
    finally:
        idp.stop()
