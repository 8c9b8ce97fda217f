"""Who may read ``/metrics``: with METRICS_TOKEN set the token is the only control (a
request that looks like loopback gets nothing without it); unset, only loopback, as
PROXY_HOPS says to read the client's address (0, as `make run` serves: X-Forwarded-For
is ignored)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize("settings_overrides", [{"metrics_token": "s3cret-token"}])
def test_with_a_token_looking_like_loopback_is_not_enough(client: FlaskClient) -> None:
    local = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    forwarded = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )

    assert local.status_code == 401 and forwarded.status_code == 401
    assert "kanava_" not in local.get_data(as_text=True) + forwarded.get_data(as_text=True)


@pytest.mark.parametrize("settings_overrides", [{"proxy_hops": 0}])
def test_without_a_proxy_a_forwarded_loopback_address_opens_nothing(client: FlaskClient) -> None:
    spoofed = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
    local = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "203.0.113.5"},  # not trusted: the peer is this machine
    )

    assert spoofed.status_code == 403
    assert local.status_code == 200
