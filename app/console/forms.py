"""The console's forms; Flask-WTF adds the CSRF token to each."""
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length, NumberRange, Optional, ValidationError

from ..billing.units import usd_to_credits
from ..events import EVENT_TYPES
from ..labels import LABELS
from ..models import OrgRole
from ..signin.passwords import form_rule as password_rules

ROLE_CHOICES = [(r.value, LABELS[r.value]) for r in (OrgRole.admin, OrgRole.member, OrgRole.viewer)]
MAX_THRESHOLD_CREDITS = 1_000_000 * 1_000_000
LANGUAGES = [("en", "English"), ("zh", "简体中文")]
# Days an org's usage logs are kept (app/jobs/retention.py): the default, and extended archiving.
RETENTION_DAYS = (30, 90, 365)


def _email_field():
    return EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=320)])


def _password_field(label=_l("Password")):
    # Length and the common-password list: PASSWORD_MIN_LENGTH (app/signin/passwords.py).
    return PasswordField(label, validators=[DataRequired(), password_rules])


def _confirm_field():
    return PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password")])


class SignupForm(FlaskForm):
    email = _email_field()
    password = _password_field()
    confirm = _confirm_field()


class EmailForm(FlaskForm):
    email = _email_field()


class NewPasswordForm(FlaskForm):
    password = _password_field()
    confirm = _confirm_field()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = _password_field(_l("New password"))
    confirm = _confirm_field()


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email"), validators=[DataRequired(), Email(), Length(max=320)])
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A button that changes something: nothing to fill in but the CSRF token."""


def confirmed_or_400() -> None:
    """A button's post: refused with 400 without its CSRF token."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


class OrgForm(FlaskForm):
    name = StringField(_l("Organization name"), validators=[DataRequired(), Length(min=2, max=128)])


class InviteForm(FlaskForm):
    email = _email_field()
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=OrgRole.member.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LANGUAGES)


def _usd(form, field) -> None:
    if field.data in (None, ""):
        return
    try:
        credits = usd_to_credits(field.data.strip())
    except ValueError:
        raise ValidationError(_("%(value)s is not a USD amount with at most 6 decimals",
                                value=repr(field.data))) from None
    if credits < 0:
        raise ValidationError(_("must not be negative"))
    if credits > MAX_THRESHOLD_CREDITS:
        raise ValidationError(_("must be at most 1,000,000 USD"))
    field.credits = credits


class OrgSettingsForm(FlaskForm):
    low_balance_usd = StringField(_l("Low-balance threshold (USD)"), validators=[Optional(), _usd])
    low_balance_email = EmailField(_l("Low-balance alert recipient"),
                                   validators=[Optional(), Email(), Length(max=320)])
    auto_recharge_threshold_usd = StringField(_l("Auto-recharge below (USD)"), validators=[Optional(), _usd],
                                              description=_l("Empty: auto-recharge off. Owners only."))
    auto_recharge_amount_usd = StringField(_l("Auto-recharge amount (USD)"), validators=[Optional(), _usd],
                                           description=_l("Charged on the card saved at your last top-up."))
    # Not posted: the view passes the org's current value, so a form without it changes nothing.
    retention_days = SelectField(
        _l("Keep usage logs for"), coerce=int, validate_choice=False,
        choices=[(30, _l("30 days")), (90, _l("90 days (extended archiving)")), (365, _l("365 days (extended archiving)"))],
        validators=[AnyOf(RETENTION_DAYS, message="log retention must be 30, 90 or 365 days")],
        description=_l("Older logs are purged; usage charts keep their daily totals."))
    # Default caps of the org's new keys (Organization.key_defaults); empty: no default.
    default_per_request_cap_usd = StringField(_l("New keys: per-request cap (USD)"), validators=[Optional(), _usd],
                                              description=_l("Applied when a key is created without its own."))
    default_rpm_limit = IntegerField(_l("New keys: requests per minute"),
                                     validators=[Optional(), NumberRange(min=1, max=10**9)])
    default_tpm_limit = IntegerField(_l("New keys: tokens per minute"),
                                     validators=[Optional(), NumberRange(min=1, max=10**12)])
    default_cap_1d_usd = StringField(_l("New keys: spending cap per rolling day (USD)"), validators=[Optional(), _usd])


class WebhookForm(FlaskForm):
    """The endpoint's fields; app/webhooks/endpoints.clean judges them, as for the JSON API."""
    url = StringField(_l("URL"), validators=[DataRequired(), Length(max=1024)])
    all_events = BooleanField(_l("Every event, including types added later"), default=True)
    events = SelectMultipleField(_l("Or only these events"), choices=[(e, e) for e in EVENT_TYPES],
                                 validate_choice=True)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
    active = BooleanField(_l("Active"), default=True)

    def fields(self) -> dict:
        return {"url": self.url.data.strip(), "events": "*" if self.all_events.data else list(self.events.data or []),
                "description": (self.description.data or "").strip() or None, "active": bool(self.active.data)}
