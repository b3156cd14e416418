"""Projects, read-only: the org detail screen lists them; filter with org_id to get one org's."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema

from ..models import Project
from ..roles import PROJECTS_API
from .base import AdminRestApi, route

_COLUMNS = ["id", "org_id", "name", "created_at", "archived_at"]


class _ProjectSchema(SQLAlchemyAutoSchema):
    # Declared here: FAB's generated schema drops foreign keys such as org_id under marshmallow 4.
    class Meta:
        model = Project
        include_fk = True
        fields = _COLUMNS


class ProjectApi(AdminRestApi):
    datamodel = SQLAInterface(Project)
    resource_name = "projects"
    route_base = route("projects")
    class_permission_name = PROJECTS_API
    base_permissions = ["can_get"]
    include_route_methods = {"get", "get_list"}
    openapi_spec_tag = "Admin: projects"
    list_columns = show_columns = order_columns = search_columns = _COLUMNS
    list_model_schema = _ProjectSchema()
    show_model_schema = type("_ProjectShowSchema", (_ProjectSchema,), {})()  # apispec names schemas by class
    base_order = ("id", "asc")
