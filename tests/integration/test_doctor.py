"""``flask --app wsgi doctor`` as an operator runs it: each finding on its own line, what
to fix when something is wrong, exit status 1 then; Twilio and Stripe probed with a short
timeout (a closed port fails at once and says which setting to check; localstripe answers)."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import Result

from app import create_app
from tests.conftest import make_settings
from tests.peers.localstripe import localstripe_url

__all__ = ["localstripe_url"]


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def doctor(tmp_path: Path, upgrade: bool = True, **settings: object) -> Result:
    url = f"sqlite:///{tmp_path / 'doctor.db'}"
    app = create_app(make_settings(url, **settings))
    runner = app.test_cli_runner()
    if upgrade:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    return runner.invoke(args=["doctor"])


def test_a_local_installation_at_head_is_fine_and_lists_the_webhook_urls(tmp_path: Path) -> None:
    result = doctor(tmp_path)
    assert result.exit_code == 0, result.output
    assert "[ok  ] Database: reachable, migrations at head" in result.output
    assert "[note] Twilio: not configured" in result.output
    assert "Twilio Messaging, A message comes in: https://kanava.test/twilio/sms" in result.output
    assert "Stripe webhook endpoint: https://kanava.test/stripe/webhook" in result.output
    assert "Everything looks right." in result.output


def test_a_database_without_the_migrations_says_to_upgrade(tmp_path: Path) -> None:
    result = doctor(tmp_path, upgrade=False)
    assert result.exit_code == 1
    assert "run flask --app wsgi db upgrade" in result.output


def test_twilio_and_stripe_out_of_reach_fail_with_what_to_check(tmp_path: Path) -> None:
    result = doctor(
        tmp_path,
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="t" * 32,
        twilio_api_base=closed_port_url(),
        twilio_from_number="+358451234567",
        stripe_secret_key="sk_test_x",
        stripe_webhook_secret="whsec_x",
        stripe_api_base=closed_port_url(),
    )
    assert result.exit_code == 1
    assert "[FIX ] Twilio API: cannot be reached" in result.output
    assert "check TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_BASE" in result.output
    assert "[FIX ] Stripe API: cannot be reached" in result.output


def test_a_loopback_public_base_url_cannot_take_twilios_calls(tmp_path: Path) -> None:
    result = doctor(
        tmp_path,
        public_base_url="http://127.0.0.1:8000",
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="t" * 32,
        twilio_api_base=closed_port_url(),
    )
    assert result.exit_code == 1
    assert "cannot be reached from the internet" in result.output
    assert "is not https" in result.output


def test_stripe_reachable_through_localstripe(tmp_path: Path, localstripe_url: str) -> None:
    result = doctor(
        tmp_path,
        stripe_secret_key="sk_test_doctor",
        stripe_webhook_secret="whsec_x",
        stripe_api_base=localstripe_url,
    )
    assert "[ok  ] Stripe API: HTTP 200" in result.output, result.output
