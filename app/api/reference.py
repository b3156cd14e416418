"""/api/v1/openapi.json and /api/v1/reference: the API description and a page that lists it."""
import orjson
from flask import Blueprint, Response, render_template

from .openapi_doc import DOCUMENT

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")
_BODY = orjson.dumps(DOCUMENT)


@bp.get("/openapi.json")
def openapi():
    return Response(_BODY, mimetype="application/json")


@bp.get("/reference")
def reference():
    operations = [(method.upper(), path, op) for path, methods in DOCUMENT["paths"].items()
                  for method, op in methods.items()]
    return render_template("api/reference.html", info=DOCUMENT["info"], operations=operations)
