"""Request fields the admin API reads by name rather than by row id."""
from marshmallow import ValidationError, fields
from sqlalchemy import select

from ..extensions import db
from ..models import Plan


class PlanCode(fields.Field):
    """A plan as its code ("free", "pro", ...): read into the Plan row, written back as the code."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.code

    def _deserialize(self, value, attr, data, **kwargs):
        plan = db.session.scalar(select(Plan).where(Plan.code == str(value))) if isinstance(value, str) else None
        if plan is None:
            codes = ", ".join(db.session.scalars(select(Plan.code).order_by(Plan.sort_order)))
            raise ValidationError(f"unknown plan {value!r}; one of: {codes}")
        return plan
