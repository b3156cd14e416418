"""Forms of the sign-in pages; Flask-WTF adds the CSRF token to each."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from ..models import OrgRole


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[DataRequired(), Length(max=32)])


class SsoEmailForm(FlaskForm):
    email = EmailField(_l("Work email"), validators=[DataRequired(), Email(), Length(max=320)])


ROLE_CHOICES = [(r.value, r.value) for r in (OrgRole.admin, OrgRole.member, OrgRole.viewer)]
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


def _domains(_form, field) -> None:
    bad = [d for d in _split(field.data) if not DOMAIN.match(d)]
    if bad or not _split(field.data):
        raise ValidationError(_l("a comma-separated list of domains such as example.com"))


def _issuer(_form, field) -> None:
    url = (field.data or "").strip()
    if not (url.startswith("https://") or url.startswith("http://127.0.0.1") or url.startswith("http://localhost")):
        raise ValidationError(_l("must be an https:// URL (the IdP's issuer)"))


def _role_map(_form, field) -> None:
    for line in (field.data or "").splitlines():
        if line.strip() and (line.count("=") != 1 or line.split("=")[1].strip() not in dict(ROLE_CHOICES)):
            raise ValidationError(_l("one claim value=role per line, role one of admin, member, viewer"))


def _split(text: str | None) -> list[str]:
    return [d.strip().lower() for d in (text or "").split(",") if d.strip()]


class OrgSsoForm(FlaskForm):
    issuer = StringField(_l("Issuer URL"), validators=[DataRequired(), Length(max=512), _issuer])
    client_id = StringField(_l("Client ID"), validators=[DataRequired(), Length(max=255)])
    client_secret = PasswordField(_l("Client secret (blank keeps the stored one)"), validators=[Length(max=512)])
    domains = StringField(_l("Email domains"), validators=[DataRequired(), Length(max=2000), _domains])
    default_role = SelectField(_l("Role of new members"), choices=ROLE_CHOICES, default=OrgRole.member.value)
    role_claim = StringField(_l("Group claim (optional), e.g. groups"), validators=[Length(max=64)])
    role_map = TextAreaField(_l("Group to role, one per line: group=role"), validators=[Length(max=4000), _role_map])
    sso_required = BooleanField(_l("SSO required: members cannot sign in any other way (owners can)"))
    enabled = BooleanField(_l("On"), default=True)

    @property
    def domain_list(self) -> list[str]:
        return sorted(set(_split(self.domains.data)))

    @property
    def role_map_dict(self) -> dict:
        pairs = (line.split("=") for line in (self.role_map.data or "").splitlines() if line.strip())
        return {group.strip(): role.strip() for group, role in pairs}

    @staticmethod
    def role_map_text(mapping: dict | None) -> str:
        return "\n".join(f"{group}={role}" for group, role in (mapping or {}).items())
