"""The back office (/admin): every Flask-AppBuilder view and menu entry is registered here."""


def register_admin_views(appbuilder) -> None:
    pass
