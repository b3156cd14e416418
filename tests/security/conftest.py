"""The security tests call the gateway as the gateway tests do: same mock upstream, same funded world."""
from tests.gateway.conftest import _fresh_gateway_caches, mock_upstream, world  # noqa: F401
