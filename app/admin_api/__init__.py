"""The admin REST API (/api/v1/admin/...): Flask-AppBuilder's REST API over the back office's data.

Callers sign in at FAB's /api/v1/security/login and send the JWT as a bearer token; each
resource's permissions follow the screens' (app/roles.py, API_FOLLOWS). FAB describes every
resource at /api/v1/_openapi.
"""


def register_admin_api(appbuilder) -> None:
    from .metrics import MetricsApi
    from .orgs import OrgApi, OrgRecordApi
    from .projects import ProjectApi
    from .users import UserApi

    for api in (OrgApi, OrgRecordApi, ProjectApi, UserApi, MetricsApi):
        appbuilder.add_api(api)
