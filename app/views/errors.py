"""A page, not Werkzeug's bare 403, for staff and customers who open a screen their role does not."""
from flask import render_template, request, url_for
from flask_login import current_user

from ..extensions import appbuilder
from ..gateway.http_errors import http_error


def forbidden(exc):
    if request.path.startswith(("/v1", "/api")):
        return http_error(exc)  # API callers keep their JSON error
    if current_user.is_authenticated:
        back = request.referrer if request.referrer and request.referrer != request.url else url_for("TollgateIndexView.index")
    else:
        back = url_for(appbuilder.sm.auth_view.endpoint + ".login")
    return render_template("admin/forbidden.html", back=back, appbuilder=appbuilder,
                           base_template=appbuilder.base_template), 403
