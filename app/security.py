"""Flask-AppBuilder's security manager, bound to Tollgate's user model."""
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.security.sqla.manager import SecurityManager

from .models.user import TollgateUser


class TollgateSecurityManager(SecurityManager):
    user_model = TollgateUser

    def sync_builtin_roles(self) -> None:
        """Create the Admin and Public roles and every role declared in FAB_ROLES.

        FAB would do this (and create tables) when it starts; Tollgate turns that off
        (FAB_CREATE_DB = False) so migrations own the schema and start-up never writes.
        """
        BaseSecurityManager.create_db(self)
