"""The Elasticsearch connection of newsdesk's Haystack components, as primitives and ``Secret``s.

Why: a component that takes a settings object cannot be written to YAML. The retrievers and the
index writer take hosts, index, timeout and ``Secret``s instead, validate them, and build their
client on first use; the key and password stay references to ``NEWSDESK_ES_API_KEY`` and
``NEWSDESK_ES_PASSWORD``, so a pipeline's YAML never holds a credential.
"""

from __future__ import annotations

import os
from typing import Any

from elasticsearch import Elasticsearch

from ingest.lazy_torch import haystack_without_torch
from search.settings import SearchSettings

with haystack_without_torch():
    from haystack import default_from_dict
    from haystack.utils import Secret, deserialize_secrets_inplace

API_KEY_ENV = "NEWSDESK_ES_API_KEY"
PASSWORD_ENV = "NEWSDESK_ES_PASSWORD"
_SECRETS = ("api_key", "password")


def _env_secret(name: str) -> Secret:
    return Secret.from_env_var(name, strict=False)


def secret_from(value: str | None, env: str) -> Secret:
    """A settings value as a ``Secret``: by reference to ``env`` when that is where it came from.

    Why: a token ``Secret`` cannot be serialised (Haystack refuses, so it never lands in YAML);
    a value read from the environment is kept as a reference to its variable instead.
    """
    if value is None or os.environ.get(env) == value:
        return _env_secret(env)
    return Secret.from_token(value)


def connection_params(settings: SearchSettings) -> dict[str, Any]:
    """The connection parameters of a component, from settings."""
    return {
        "hosts": settings.es_hosts,
        "index": settings.index,
        "api_key": secret_from(_value(settings.es_api_key), API_KEY_ENV),
        "username": settings.es_username,
        "password": secret_from(_value(settings.es_password), PASSWORD_ENV),
        "request_timeout": settings.es_timeout_s,
    }


def _value(secret: Any) -> str | None:
    return secret.get_secret_value() if secret else None


class ElasticsearchConnection:
    """Mixin: validated connection primitives, a lazy client, and their (de)serialisation.

    :param retries: the client retries timeouts and failed connections (writes do; a search
        answers at once that the cluster is down).
    """

    def _connect(
        self,
        hosts: list[str] | str,
        index: str,
        api_key: Secret | None,
        username: str | None,
        password: Secret | None,
        request_timeout: float,
        *,
        retries: bool = False,
    ) -> None:
        hosts = [h.strip() for h in hosts.split(",")] if isinstance(hosts, str) else list(hosts)
        if not hosts or not all(isinstance(h, str) and h.startswith(("http://", "https://")) for h in hosts):
            raise ValueError(f"hosts must be http(s) URLs, got {hosts!r}")
        if not index:
            raise ValueError("index must not be empty")
        if request_timeout <= 0:
            raise ValueError("request_timeout must be positive")
        self.hosts = hosts
        self.index = index
        self.api_key = api_key or _env_secret(API_KEY_ENV)
        self.username = username
        self.password = password or _env_secret(PASSWORD_ENV)
        self.request_timeout = float(request_timeout)
        self._retries = retries
        self._client: Elasticsearch | None = None

    @property
    def client(self) -> Elasticsearch:
        if self._client is None:
            kwargs: dict[str, Any] = {"request_timeout": self.request_timeout}
            api_key = self.api_key.resolve_value()
            if api_key:
                kwargs["api_key"] = api_key
            elif self.username:
                kwargs["basic_auth"] = (self.username, self.password.resolve_value() or "")
            if self._retries:
                kwargs.update(retry_on_timeout=True, max_retries=3)
            self._client = Elasticsearch(self.hosts, **kwargs)
        return self._client

    def _connection_dict(self) -> dict[str, Any]:
        return {
            "hosts": self.hosts,
            "index": self.index,
            "api_key": self.api_key.to_dict(),
            "username": self.username,
            "password": self.password.to_dict(),
            "request_timeout": self.request_timeout,
        }

    @classmethod
    def _from_dict_with_secrets(cls, data: dict[str, Any]) -> Any:
        data = {**data, "init_parameters": dict(data.get("init_parameters", {}))}  # the caller's is kept
        deserialize_secrets_inplace(data["init_parameters"], keys=list(_SECRETS))
        return default_from_dict(cls, data)
