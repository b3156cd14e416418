"""What every admin API resource shares: one URL prefix, JWT-only access, audited writes, 400 on bad input."""
from flask import g, request
from flask_appbuilder.api import ModelRestApi
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, ProgrammingError, StatementError
from werkzeug.exceptions import BadRequest

from .. import audit
from ..extensions import db
from ..inputs import nul_field

# FAB would mount a resource at /api/v1/<name>; ours sit under /api/v1/admin so they can never
# meet the customer API (/api/v1/me/*, /api/v1/openapi.json, /api/v1/reference) or FAB's own
# /api/v1/security/* and /api/v1/_openapi.
PREFIX = "/api/v1/admin"


def route(name: str) -> str:
    return f"{PREFIX}/{name}"


class AdminRestApi(ModelRestApi):
    """A FAB ModelRestApi answering bad input with 400 (FAB's shape: {"message": {field: [why]}})."""

    version = "v1"
    allow_browser_login = False  # a bearer token only: no cookie, so no cross-site request can write
    page_size = 50
    max_page_size = 500

    def response_422(self, message=None):
        # FAB answers a failed schema load with 422; our JSON APIs answer bad input with 400.
        return self.response_400(message=message)

    def create_blueprint(self, *args, **kwargs):
        blueprint = super().create_blueprint(*args, **kwargs)
        blueprint.before_request(self._refuse_nul_body)
        return blueprint

    def _refuse_nul_body(self):
        # PostgreSQL text cannot hold a NUL: refused here by field, not as FAB's 500 at the commit.
        where = nul_field(request.get_json(silent=True)) if request.is_json else None
        if where:
            return self.response_400(message={where: ["contains a NUL character (\\u0000)"]})
        return None

    def _sanitize_page_args(self, page, page_size):
        # FAB passes any integer to OFFSET: a negative page or one past PostgreSQL's bigint was a 500.
        page, page_size = super()._sanitize_page_args(page, page_size)
        if page is not None and not 0 <= page * (page_size or 1) < 2**63:
            raise BadRequest("q.page must be an integer from 0 (the first page) up")
        return page, page_size

    def get_list_headless(self, **kwargs):
        try:
            return super().get_list_headless(**kwargs)
        except StatementError as exc:
            # FAB puts a filter's value into SQL as sent: a number for a text column or a word outside
            # an enum is refused by SQLAlchemy or PostgreSQL. That is the caller's mistake; a lost
            # connection or the like is not, and stays a server error.
            if isinstance(exc, DBAPIError) and not isinstance(exc, (DataError, ProgrammingError)):
                raise
            db.session.rollback()
            why = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            return self.response_400(message=f"q.filters: a value does not fit its column: {why}")

    def _handle_filters_args(self, rison_args):
        # An array fits only the operators that take several values; elsewhere it reached SQL as a 500.
        for i, item in enumerate(rison_args.get("filters") or ()):
            value, opr = item.get("value"), item.get("opr")
            if isinstance(value, list) and opr not in _LIST_OPERATORS:
                raise BadRequest(f"q.filters[{i}].value: operator {opr!r} takes one value, not an "
                                 f"array (arrays go with {', '.join(_LIST_OPERATORS)})")
            if opr in _LIST_OPERATORS and not isinstance(value, list):
                raise BadRequest(f"q.filters[{i}].value: operator {opr!r} takes an array: !(a,b)")
            if opr in _TEXT_OPERATORS and not isinstance(value, str):  # FAB adds '%' to it: a number was a 500
                raise BadRequest(f"q.filters[{i}].value: operator {opr!r} matches text; quote the value ('...')")
        return super()._handle_filters_args(rison_args)


_LIST_OPERATORS = ("in", "not_in")
_TEXT_OPERATORS = ("sw", "nsw", "ew", "new", "ct", "nct")


class AuditedRestApi(AdminRestApi):
    """Adds and edits each write an audit row, committed with the change by FAB's datamodel.

    FAB commits inside ``datamodel.add/edit`` after ``pre_add``/``pre_update``, so the audit row
    is added there: it commits with the change or not at all.
    """

    audit_type = "record"  # action prefix: "<audit_type>.create|update"
    audit_columns: list[str] | None = None  # None = every column

    def snapshot(self, item) -> dict:
        return audit.snapshot(item, self.audit_columns)

    def _merge_update_item(self, model_item, data):
        # Called before the request body is loaded onto the item: the last moment "before" exists.
        if not isinstance(data, dict):
            raise ValidationError({"_schema": ["the body must be a JSON object"]})
        g.audit_before = self.snapshot(model_item)
        return super()._merge_update_item(model_item, data)

    def pre_add(self, item):
        db.session.add(item)
        db.session.flush()  # the audit row names the new id
        audit.record(f"{self.audit_type}.create", item, {"after": self.snapshot(item)}, actor=g.user)

    def pre_update(self, item):
        before = g.pop("audit_before", {})
        changed = audit.changes(before, self.snapshot(item))
        if changed["after"]:  # a PUT that changes nothing leaves no row
            audit.record(f"{self.audit_type}.update", item, changed, actor=g.user)


def window_arg(windows: dict, default: str) -> str | None:
    """The ``window`` query argument, or None when it names no window we offer."""
    window = request.args.get("window", default)
    return window if window in windows else None
