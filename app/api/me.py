from flask import Blueprint

bp = Blueprint("me_api", __name__, url_prefix="/api/v1/me")
