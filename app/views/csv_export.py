"""The back office's CSV exports: the date range and the list filters they carry (rows are streamed by app/csv_stream)."""
import datetime as dt
from urllib.parse import urlencode

from flask import request, url_for

from ..csv_stream import csv_response  # noqa: F401  (re-exported for the views)


def within_dates(stmt, column):
    """``?start=&end=`` (YYYY-MM-DD, both days included) applied to ``column``; ValueError if malformed."""
    if request.args.get("start"):
        stmt = stmt.where(column >= dt.date.fromisoformat(request.args["start"]))
    if request.args.get("end"):
        stmt = stmt.where(column < dt.date.fromisoformat(request.args["end"]) + dt.timedelta(days=1))
    return stmt


class ExportButtonMixin:
    """Lists with an "Export CSV" button that carries the list's filters over to the export.

    ``export_params`` maps a list column to the export's query parameter; the list's first
    filter on that column (``_flt_0_<column>``, equality for ids and enums) becomes it.
    """

    export_params: dict[str, str] = {}

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            params = {param: request.args[f"_flt_0_{column}"] for column, param in self.export_params.items()
                      if request.args.get(f"_flt_0_{column}")}
            kwargs["export_url"] = url_for(f"{type(self).__name__}.export") + "?" + urlencode(params)
            kwargs["can_export"] = self.appbuilder.sm.has_access("can_export", self.class_permission_name)
        return super().render_template(template, **kwargs)
