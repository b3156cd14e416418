"""The model-group dialog, the typed-email (soft) delete confirmation and the second-factor reset, mixed into UserView."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import accounts, audit, group_access, group_grants
from ..extensions import db
from ..models import ModelGroup, TollgateUser
from ..signin import totp


class UserActionsMixin:
    @expose("/groups", methods=["GET", "POST"])
    @has_access
    def groups(self):
        ids = _ids(request.values.get("ids", ""))
        users = db.session.scalars(select(TollgateUser).where(TollgateUser.id.in_(ids)).order_by(TollgateUser.id)).all()
        if not users:
            flash(_("Users: select at least one user"), "danger")
            return redirect(url_for("UserView.list"))
        groups = db.session.scalars(select(ModelGroup).order_by(ModelGroup.exclusive, ModelGroup.name)).all()
        if request.method == "POST":
            chosen = set(_ids(",".join(request.form.getlist("group_ids"))))
            unknown = chosen - {g.id for g in groups}
            if unknown:
                flash(_("Model groups: unknown group ids %(ids)s", ids=sorted(unknown)), "danger")
            else:
                try:
                    for user in users:
                        group_grants.set_access(db.session, user, groups, chosen, current_user.id)
                except ValueError as exc:
                    db.session.rollback()
                    flash(str(exc), "danger")
                else:
                    db.session.commit()
                    flash(_("Model groups assigned to %(n)d user(s).", n=len(users)), "success")
                    return redirect(url_for("UserView.list"))
        granted = _ticked(users, groups)
        return self.render_template("admin/assign_groups.html", users=users, groups=groups, granted=granted,
                                    ids=",".join(str(u.id) for u in users))

    @expose("/<int:pk>/delete", methods=["GET", "POST"])
    @has_access
    def delete_user(self, pk):
        user = db.session.get(TollgateUser, pk) or abort(404)
        if user.deleted_at is not None:
            flash(_("User %(email)s is already deleted.", email=user.email), "info")
            return redirect(url_for("UserView.list"))
        if request.method == "POST":
            typed = request.form.get("confirm_email", "").strip()
            if typed.lower() != (user.email or "").lower():
                flash(_("Email: type %(email)s exactly to confirm the deletion", email=user.email), "danger")
                return self.render_template("admin/user_delete.html", user=user), 400
            if user.id == current_user.id:
                flash(_("User: you cannot delete your own account"), "danger")
                return self.render_template("admin/user_delete.html", user=user), 400
            details = {"before": audit.snapshot(user, ["username", "email", "first_name", "last_name", "tier"])}
            details["revoked_key_ids"] = accounts.soft_delete_user(user)
            audit.record("user.delete", user, details)
            db.session.commit()
            flash(_("User %(email)s deleted.", email=details["before"]["email"]), "success")
            return redirect(url_for("UserView.list"))
        return self.render_template("admin/user_delete.html", user=user)


    @expose("/<int:pk>/second-factor/reset", methods=["POST"])
    @has_access
    def reset_second_factor(self, pk):
        """For a user who lost both their authenticator and their recovery codes (identity checked by staff)."""
        user = db.session.get(TollgateUser, pk) or abort(404)
        if user.totp_enabled_at is not None:
            totp.disable(user)
            audit.record("auth.totp_reset", user, {"username": user.username})
            db.session.commit()
            flash(_("The second factor of %(email)s is off; they can turn it on again.", email=user.email), "success")
        else:
            flash(_("%(email)s has no second factor.", email=user.email), "info")
        return redirect(url_for("UserView.show", pk=pk))


def model_access(user_id: int) -> dict:
    """What the user page shows under "Effective model access"."""
    access = group_access.load(db.session, user_id)
    groups = db.session.scalars(select(ModelGroup).order_by(ModelGroup.exclusive, ModelGroup.name)).all()
    rows = group_access.callable_groups(access, groups)
    return {"access_groups": rows, "access_models": group_access.effective_models(rows),
            "public_restricted": access.public is not None}


def _ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip().isdigit()]


def _ticked(users, groups) -> set[int]:
    """Groups every selected user may call now: the dialog opens with them ticked."""
    ticked = None
    for user in users:
        access = group_access.load(db.session, user.id)
        mine = {g.id for g, _source in group_access.callable_groups(access, groups)}
        ticked = mine if ticked is None else ticked & mine
    return ticked or set()
