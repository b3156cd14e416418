"""CSV responses streamed row by row from their own database connection."""
import csv
import datetime as dt
import io
from urllib.parse import urlencode

from flask import Response, request, stream_with_context, url_for

from ..extensions import db


def csv_response(filename: str, header: list[str], make_rows) -> Response:
    """``make_rows(conn)`` yields lists of cells; nothing is held in memory beyond one batch."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        with db.engine.connect() as conn:
            for n, row in enumerate(make_rows(conn), 1):
                writer.writerow(row)
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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
