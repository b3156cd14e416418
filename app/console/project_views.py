"""Projects (owners and admins): create, rename, archive, and what each spent over a range.

An archived project takes no new keys and leaves the key forms' pickers; its keys keep
working and its usage stays counted. Restoring it undoes that.
"""
import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..inputs import InputError
from ..models import ApiKey, KeyStatus, Project, utcnow
from . import org_usage
from .access import MANAGERS, get_in_org, login_required, org_scope
from .blueprint import bp, input_refused


@bp.get("/orgs/<int:org_id>/projects")
@login_required
def projects(org_id: int):
    return _page(org_scope(org_id, *MANAGERS))


def _page(scope, status: int = 200, problem: InputError | None = None):
    today = dt.date.today()
    try:
        span = org_usage.UsageRange.parse({**request.args, "by": "project"}, today)
    except InputError as exc:
        return input_refused(_("Projects"), exc)
    rows = db.session.scalars(select(Project).where(Project.org_id == scope.org.id)
                              .order_by(Project.archived_at.is_not(None), Project.name)).all()
    keys = dict(db.session.execute(
        select(ApiKey.project_id, func.count()).where(ApiKey.org_id == scope.org.id, ApiKey.status == KeyStatus.active,
                                                       ApiKey.project_id.is_not(None)).group_by(ApiKey.project_id)).all())
    usage = {r["group"]: r for r in org_usage.grouped(scope.org.id, span, today)}
    return render_template("console/projects.html", scope=scope, rows=rows, keys=keys, usage=usage, span=span,
                           problem=problem), status


def _name(form) -> str:
    name = (form.get("name") or "").strip()
    if not name:
        raise InputError("name", "name is required")
    if len(name) > 128:
        raise InputError("name", "name may be at most 128 characters")
    return name


def _unique(scope, name: str, project_id: int | None = None) -> None:
    clash = db.session.scalar(select(Project.id).where(Project.org_id == scope.org.id,
                                                       func.lower(Project.name) == name.lower()))
    if clash is not None and clash != project_id:
        raise InputError("name", f"a project named {name!r} exists already")


@bp.post("/orgs/<int:org_id>/projects")
@login_required
def create_project(org_id: int):
    scope = org_scope(org_id, *MANAGERS)
    try:
        name = _name(request.form)
        _unique(scope, name)
    except InputError as exc:
        return _page(scope, 400, exc)
    project = Project(org_id=org_id, name=name)
    db.session.add(project)
    db.session.flush()
    audit.record("console.project_created", target=project, details={"org_id": org_id, "name": name})
    db.session.commit()
    flash(_("Project %(name)s is created.", name=name), "success")
    return redirect(url_for("console.projects", org_id=org_id))


@bp.post("/orgs/<int:org_id>/projects/<int:project_id>/rename")
@login_required
def rename_project(org_id: int, project_id: int):
    def rename(scope, project):
        name = _name(request.form)
        _unique(scope, name, project.id)
        audit.record("console.project_renamed", target=project, details={"before": project.name, "after": name})
        project.name = name
        return _("Project renamed to %(name)s.", name=name)

    return _change(org_id, project_id, rename)


@bp.post("/orgs/<int:org_id>/projects/<int:project_id>/archive")
@login_required
def archive_project(org_id: int, project_id: int):
    """Archive the project, or restore it when the form says ``restore``."""
    def archive(_scope, project):
        restore = request.form.get("restore") == "1"
        project.archived_at = None if restore else (project.archived_at or utcnow())
        audit.record("console.project_restored" if restore else "console.project_archived", target=project,
                     details={"name": project.name})
        return _("Project %(name)s is restored.", name=project.name) if restore else \
            _("Project %(name)s is archived.", name=project.name)

    return _change(org_id, project_id, archive)


def _change(org_id: int, project_id: int, change):
    """One project's form, for owners and admins: ``change(scope, project)`` checks the form before it
    changes anything and returns the message to flash; an InputError shows the page again with it."""
    scope = org_scope(org_id, *MANAGERS)
    project = get_in_org(Project, project_id, scope.org)
    try:
        message = change(scope, project)
    except InputError as exc:
        return _page(scope, 400, exc)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("console.projects", org_id=org_id))
