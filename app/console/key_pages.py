"""What the Tokens and Org keys pages share: who is acting, list filters, the rows, CSV, audit."""
import csv
import io
from dataclasses import dataclass, field

from flask import Response, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from .. import audit, key_fields
from ..actor import Actor, for_user
from ..billing.units import usd_text
from ..extensions import db
from ..inputs import InputError
from ..models import ApiKey, Project
from .access import OrgScope, org_scope
from .key_spend import spend_of

PAGE_SIZE = 50
MAX_EXPORT = 10_000
STATUSES = ("active", "revoked", "expired")
CSV_COLUMNS = ("id", "name", "prefix", "status", "user_id", "project_id", "allowed_models", "per_request_cap_usd",
               "rpm_limit", "tpm_limit", "quota_usd", "cap_5h_usd", "cap_1d_usd", "cap_7d_usd", "model_caps_usd",
               "spent_usd", "expires_at", "last_used_at", "created_at", "revoked_at")


def actor_and_scope(org_id: int | None) -> tuple[OrgScope | None, Actor]:
    """The caller's org scope (404 outside their orgs; every role may open it) and their Actor there."""
    scope = org_scope(org_id) if org_id is not None else None
    return scope, for_user(current_user.id, org_id)


def tokens_url(scope: OrgScope | None) -> str:
    return url_for("console.tokens", org_id=scope.org.id if scope else None)


@dataclass
class KeyFilters:
    status: str | None = None
    search: str | None = None
    project_id: int | None = None
    user_id: int | None = None
    after: int | None = None
    page_size: int = PAGE_SIZE
    echo: dict = field(default_factory=dict)  # the raw values, to refill the form and build links

    @classmethod
    def parse(cls, args, scope: OrgScope | None) -> "KeyFilters":
        f = cls(echo={k: args.get(k, "") for k in ("status", "q", "project", "user")})
        f.status = args.get("status") or None
        if f.status is not None and f.status not in STATUSES:
            raise InputError("status", f"status must be one of {', '.join(STATUSES)}")
        f.search = (args.get("q") or "").strip()[:128] or None
        f.after = _whole(args, "after")
        f.project_id = _whole(args, "project")
        f.user_id = _whole(args, "user")
        if f.project_id is not None and (scope is None or db.session.scalar(select(Project.id).where(
                Project.id == f.project_id, Project.org_id == scope.org.id)) is None):
            raise InputError("project", f"project {f.project_id} is not a project of this organization")
        return f


def _whole(args, name: str) -> int | None:
    raw = args.get(name) or None
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InputError(name, f"{name} must be a positive whole number")
    return int(raw)


def selected_ids(form) -> list[int]:
    raw = form.getlist("ids")
    if not raw:
        raise InputError("ids", "select at least one key")
    if not all(r.isascii() and r.isdigit() and len(r) <= 18 for r in raw):
        raise InputError("ids", "ids must be key ids")
    return [int(r) for r in raw]


def projects_of(scope: OrgScope | None, keep: int | None = None) -> list[Project]:
    """The org's open projects for a picker, and ``keep`` (a key's current project) even if archived."""
    if scope is None:
        return []
    shown = Project.archived_at.is_(None) if keep is None else or_(Project.archived_at.is_(None), Project.id == keep)
    return list(db.session.scalars(select(Project).where(Project.org_id == scope.org.id, shown)
                                   .order_by(Project.name)))


def key_rows(keys: list[ApiKey]) -> list[dict]:
    """Each key as key_fields describes it, with its spend against each cap for the list's columns."""
    spend = spend_of(keys)
    rows = []
    for key in keys:
        used = spend[key.id]
        caps = [(label, used.get(column), getattr(key, column)) for label, column in
                (("lifetime", "quota"), ("5h", "cap_5h"), ("1d", "cap_1d"), ("7d", "cap_7d"))
                if getattr(key, column) is not None]
        caps += [(model, used["models"].get(model, 0), cap) for model, cap in (key.model_caps or {}).items()]
        rows.append({"key": key, "info": key_fields.describe(key),
                     "caps": [(label, usd_text(u or 0), usd_text(c)) for label, u, c in caps]})
    return rows


def keys_csv(keys: list[ApiKey], filename: str = "api-keys.csv") -> Response:
    rows = []
    for key in keys:
        info = key_fields.describe(key)
        info["allowed_models"] = " ".join(info["allowed_models"])
        info["model_caps_usd"] = " ".join(f"{m}={c}" for m, c in info["model_caps_usd"].items())
        rows.append([inert(info[c]) for c in CSV_COLUMNS])
    return text_csv(CSV_COLUMNS, rows, filename)


def text_csv(header, rows, filename: str) -> Response:
    """A small CSV built in memory (a page of keys, one batch of secrets), never cached."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def inert(value):
    """A cell a spreadsheet will not run: text starting with = + - @ gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def audit_keys(action: str, keys: list[ApiKey], **details) -> None:
    for key in keys:
        audit.record(action, target=key, details={"prefix": key.prefix, "name": key.name, "user_id": key.user_id,
                                                  "org_id": key.org_id, **details})

