"""Per-organization SSO (Enterprise plan): the org's own OIDC IdP, domain routing and just-in-time members.

An org owner names the email domains its IdP speaks for. Someone signing in with such an
address is sent there; the first sign-in creates the account and the membership (default
role, or the role its group claim maps to). With "SSO required", the org's members can no
longer sign in any other way, except its owners (break-glass, audited).
"""
from sqlalchemy import select

from .. import audit
from ..accounts import add_member
from ..crypto import decrypt
from ..extensions import db
from ..models import Membership, Organization, OrgRole, OrgSso, OrgStatus
from . import clients, identities
from .clients import Profile, ProviderRefused

ENTERPRISE_PLAN = "enterprise"
# A claim may map to any role but owner: ownership is handed over in the console, never by an IdP.
MAPPABLE_ROLES = (OrgRole.admin, OrgRole.member, OrgRole.viewer)


def provider_name(org_id: int) -> str:
    return f"org:{org_id}"


def offered(org: Organization) -> bool:
    return org.plan is not None and org.plan.code == ENTERPRISE_PLAN and org.status != OrgStatus.deleted


def _active() -> list[OrgSso]:
    return [sso for sso in db.session.scalars(select(OrgSso).where(OrgSso.enabled.is_(True))) if offered(sso.org)]


def for_email(email: str | None) -> OrgSso | None:
    domain = (email or "").rpartition("@")[2].strip().lower()
    return next((sso for sso in _active() if domain and domain in sso.domains), None) if "@" in (email or "") else None


def domain_taken(domain: str, org_id: int) -> bool:
    return any(domain in sso.domains for sso in db.session.scalars(select(OrgSso).where(OrgSso.org_id != org_id)))


def required_for(user) -> OrgSso | None:
    """The SSO-required org that ``user`` belongs to (by membership or by email domain), if any."""
    org_ids = {m.org_id for m in db.session.scalars(select(Membership).where(Membership.user_id == user.id))}
    by_domain = for_email(user.email)
    return next((sso for sso in _active() if sso.sso_required
                 and (sso.org_id in org_ids or (by_domain is not None and by_domain.org_id == sso.org_id))), None)


def is_owner(user, org_id: int) -> bool:
    return db.session.scalar(select(Membership.role).where(Membership.user_id == user.id,
                                                           Membership.org_id == org_id)) == OrgRole.owner


def client(sso: OrgSso):
    return clients.org_client(sso.org_id, clients.oidc_settings(sso.issuer, sso.client_id,
                                                                decrypt(sso.client_secret_encrypted)))


def mapped_role(sso: OrgSso, claims: dict) -> OrgRole | None:
    if not sso.role_claim:
        return None
    values = claims.get(sso.role_claim)
    values = [values] if isinstance(values, str) else list(values or [])
    granted = {OrgRole(sso.role_map[v]) for v in values if isinstance(v, str) and v in (sso.role_map or {})}
    return next((role for role in MAPPABLE_ROLES if role in granted), None)


def profile_for(sso: OrgSso, token: dict) -> Profile:
    """Who the org's IdP says signed in; the address must be in one of the org's domains."""
    claims = token.get("userinfo") or {}
    email = (claims.get("email") or "").strip().lower()
    if claims.get("email_verified") is False or "@" not in email:
        raise ProviderRefused("the IdP sent no usable email address")
    if email.rpartition("@")[2] not in sso.domains:
        raise ProviderRefused(f"{email} is not in the organization's domains")
    if not claims.get("sub"):
        raise ProviderRefused("the IdP did not say who signed in")
    return Profile(provider_name(sso.org_id), str(claims["sub"]), email, claims.get("name"), dict(claims))


def provision(sso: OrgSso, profile: Profile):
    """The user and membership for ``profile``, created just in time; the caller commits."""
    org = sso.org
    user = identities.find_user(profile.provider, profile.subject)
    if user is None:
        user = identities.user_by_email(profile.email)
        if user is None:
            user = identities.new_account(profile)
            audit.record("console.signup", target=user, actor=user,
                         details={"email": profile.email, "provider": profile.provider, "org_id": org.id})
        elif _member(org.id, user) is not None and user.email_verified_at is not None:
            identities.link(user, profile)  # a known member whose address the org's IdP also vouches for
        else:
            # The IdP of one org must not open an account that org has no say over.
            raise ProviderRefused("an account outside the organization already uses this address")
    membership, role = _member(org.id, user), mapped_role(sso, profile.claims)
    if membership is None:
        membership = add_member(org, user, role or sso.default_role)
        audit.record("sso.member_provisioned", target=org, actor=user,
                     details={"user_id": user.id, "role": membership.role.value, "from_claim": role is not None})
    elif role is not None and membership.role not in (role, OrgRole.owner):
        before, membership.role = membership.role.value, role
        audit.record("sso.role_mapped", target=membership, actor=user,
                     details={"user_id": user.id, "before": before, "after": role.value})
    return user


def _member(org_id: int, user) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.org_id == org_id, Membership.user_id == user.id))
