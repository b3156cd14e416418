"""Usage figures over a window, read from the hourly rollup (app/reporting/metrics.py):
one org's (with its top models and projects) and the platform's."""
from flask_appbuilder.api import BaseApi, expose, permission_name, protect, safe

from ..extensions import db
from ..models import Organization
from ..reporting import metrics
from ..roles import METRICS_API
from .base import route, window_arg

# Money figures are integer credits (1 USD = 1,000,000 credits), as everywhere in the API.
_FIGURES = ("requests", "errors", "error_rate", "tokens", "prompt_tokens", "completion_tokens", "cached_tokens",
            "input_cost", "output_cost", "cached_cost", "cache_write_cost", "total_cost", "discount_savings")
_WINDOWS = ", ".join(metrics.WINDOWS)


def _figures(row: dict) -> dict:
    # PostgreSQL sums BIGINT columns as NUMERIC: whole numbers again here, not JSON strings.
    return {name: float(row[name]) if name == "error_rate" else int(row[name]) for name in _FIGURES}


class MetricsApi(BaseApi):
    version = "v1"
    resource_name = "metrics"
    route_base = route("metrics")
    class_permission_name = METRICS_API
    base_permissions = ["can_org", "can_platform"]
    openapi_spec_tag = "Admin: metrics"

    @expose("/orgs/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("org")
    def org(self, pk: int):
        """One organization's usage over a window
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: window, schema: {type: string, default: 1d, enum: [1h, 4h, 12h, 1d, 7d, 30d, 90d, 365d]}}
          responses:
            200: {description: Totals, top models and per-project totals}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
        """
        window = window_arg(metrics.WINDOWS, metrics.DEFAULT_WINDOW)
        if window is None:
            return self.response_400(message={"window": [f"one of: {_WINDOWS}"]})
        if db.session.get(Organization, pk) is None:
            return self.response_404()
        figures = metrics.org_metrics(pk, window)
        return self.response(200, org_id=pk, window=window, totals=_figures(figures["totals"]),
                             top_models=[{"model": r["model"], **_figures(r)} for r in figures["top_models"]],
                             projects=[{"project_id": project_id, **_figures(r)}
                                       for project_id, r in figures["projects"].items()])

    @expose("/platform", methods=["GET"])
    @protect()
    @safe
    @permission_name("platform")
    def platform(self):
        """The whole platform's usage over a window
        ---
        get:
          parameters:
          - {in: query, name: window, schema: {type: string, default: 1d, enum: [1h, 4h, 12h, 1d, 7d, 30d, 90d, 365d]}}
          responses:
            200: {description: Platform totals}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        window = window_arg(metrics.WINDOWS, metrics.DEFAULT_WINDOW)
        if window is None:
            return self.response_400(message={"window": [f"one of: {_WINDOWS}"]})
        return self.response(200, window=window, totals=_figures(metrics.totals(window)))
