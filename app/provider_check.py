"""Checks on a provider's settings: a usable base URL, and a live "test connection" that asks
the provider for its model list with the stored key."""
import os
import tempfile
from urllib.parse import urlsplit

import requests

from . import crypto
from .gateway.upstream import ANTHROPIC_VERSION
from .models import Provider, ProviderKind

TIMEOUT_S = 10


def check_base_url(value: str) -> str:
    """The URL without a trailing slash, or ValueError saying what is wrong with it."""
    url = (value or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("has no host name")
    if parts.query or parts.fragment or " " in url:
        raise ValueError("must not contain spaces, a query (?...) or a fragment (#...)")
    try:
        parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return url.rstrip("/")


def list_models(provider: Provider) -> list[str]:
    """The model ids the provider lists; raises ValueError with the reason it could not."""
    try:
        secret = crypto.decrypt(provider.api_key_encrypted) if provider.api_key_encrypted else ""
    except ValueError:
        raise ValueError("the stored API key cannot be read (the encryption key changed)") from None
    if provider.kind == ProviderKind.anthropic:
        url, headers = f"{provider.base_url}/v1/models", {"x-api-key": secret, "anthropic-version": ANTHROPIC_VERSION}
    else:
        url, headers = f"{provider.base_url}/models", {"authorization": f"Bearer {secret}"}
    proxy = (provider.proxy_url or "").strip()
    proxies = {"http": proxy, "https": proxy} if proxy and proxy.lower() != "direct" else None
    with _verify(provider.ca_bundle) as verify:
        try:
            response = requests.get(url, headers=headers, timeout=TIMEOUT_S, proxies=proxies, verify=verify)
        except requests.RequestException as exc:
            raise ValueError(f"could not reach {url}: {exc.__class__.__name__}: {exc}") from None
    if response.status_code != 200:
        raise ValueError(f"{url} answered HTTP {response.status_code}: {response.text[:300]}")
    try:
        return sorted(str(m["id"]) for m in response.json()["data"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{url} answered 200 but not a model list: {response.text[:300]}") from None


class _verify:
    """requests' ``verify``: the provider's CA bundle (PEM text goes to a temporary file) or True."""

    def __init__(self, ca: str | None):
        self.ca, self.path = (ca or "").strip(), None

    def __enter__(self):
        if not self.ca:
            return True
        if "-----BEGIN" not in self.ca:
            return self.ca  # a file path on this host
        handle, self.path = tempfile.mkstemp(suffix=".pem")
        with os.fdopen(handle, "w") as f:
            f.write(self.ca)
        return self.path

    def __exit__(self, *exc):
        if self.path:
            os.unlink(self.path)
