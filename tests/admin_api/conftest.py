"""A bearer token per platform role, from the real /api/v1/security/login."""
import pytest

from tests.factories import make_user

PASSWORD = "role-password-123"


def login(client, username, password=PASSWORD, **extra):
    return client.post("/api/v1/security/login", json={"username": username, "password": password, **extra})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(app, db, client):
    """token_for(role): the Authorization header of a new staff member with that role ({} for "anonymous")."""
    def make(role: str) -> dict:
        if role == "anonymous":
            return {}
        user = make_user(username=f"{role.lower()}-api", role_name=role, password=PASSWORD)
        response = login(client, user.username)
        assert response.status_code == 200, response.get_json()
        return bearer(response.get_json()["access_token"])
    return make


@pytest.fixture
def admin_headers(token_for):
    return token_for("Admin")
