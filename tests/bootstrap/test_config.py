"""Settings from the environment: the contract's defaults, production needs, bad values, and
what configuring Twilio changes about the webhook."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.config import ConfigError, Settings, load_settings
from app.extensions import db
from app.models import Order
from tests.conftest import PUBLIC_BASE_URL, WEBHOOK_TOKEN, Phone, sign

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "twilio-auth-token-" + "z" * 14


def _load(tmp_path: Path, **env: str) -> Settings:
    return load_settings(env, instance_path=tmp_path / "instance")


def test_defaults_match_the_contract(tmp_path: Path) -> None:
    settings = _load(tmp_path)

    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.app_timezone == "Europe/Helsinki"
    assert settings.default_language == "fi"
    assert settings.currency == "EUR"
    assert settings.reminder_lead_minutes == 10
    assert settings.payment_grace_minutes == 10
    assert settings.environment == "development"
    assert settings.twilio_configured is False
    assert settings.stripe_configured is False
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'kanava.db'}"


def test_every_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        DATABASE_URL="postgresql+psycopg://u:p@db:5432/kanava",
        SECRET_KEY="s" * 40,
        PUBLIC_BASE_URL="https://park.example.fi/",
        APP_TIMEZONE="Europe/Stockholm",
        DEFAULT_LANGUAGE="sv",
        CURRENCY="sek",
        REMINDER_LEAD_MINUTES="15",
        PAYMENT_GRACE_MINUTES="0",
        TWILIO_FROM_NUMBER="+358451234567",
    )

    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/kanava"
    assert settings.secret_key == "s" * 40
    assert settings.public_base_url == "https://park.example.fi"
    assert settings.app_timezone == "Europe/Stockholm"
    assert str(settings.tz) == "Europe/Stockholm"
    assert settings.default_language == "sv"
    assert settings.currency == "SEK"
    assert settings.reminder_lead_minutes == 15
    assert settings.payment_grace_minutes == 0
    assert settings.service_number == "+358451234567"


@pytest.mark.parametrize(
    "url",
    ["postgres://u:p@db.example:5432/kanava", "postgresql://u:p@db.example:5432/kanava"],
)
def test_heroku_style_postgres_url_is_rewritten_for_psycopg(tmp_path: Path, url: str) -> None:
    settings = _load(tmp_path, DATABASE_URL=url)

    assert settings.database_url == "postgresql+psycopg://u:p@db.example:5432/kanava"


def test_secret_key_is_generated_into_the_instance_folder_and_kept(tmp_path: Path) -> None:
    first = _load(tmp_path)
    second = _load(tmp_path)

    stored = (tmp_path / "instance" / "secret_key").read_text().strip()
    assert first.secret_key == stored
    assert second.secret_key == stored
    assert len(stored) >= 32
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_each_instance_folder_gets_its_own_secret_key(tmp_path: Path) -> None:
    one = load_settings({}, instance_path=tmp_path / "one")
    two = load_settings({}, instance_path=tmp_path / "two")

    assert one.secret_key != two.secret_key


def test_secret_key_from_the_environment_writes_no_file(tmp_path: Path) -> None:
    settings = _load(tmp_path, SECRET_KEY="from-env-" + "k" * 30)

    assert settings.secret_key == "from-env-" + "k" * 30
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        _load(tmp_path, KANAVA_ENV="production", PUBLIC_BASE_URL="https://park.example.fi")


@pytest.mark.parametrize("base", ["", "http://park.example.fi"], ids=["default", "http"])
def test_production_with_an_http_base_url_refuses_to_start(tmp_path: Path, base: str) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        _load(tmp_path, KANAVA_ENV="production", SECRET_KEY="s" * 40, PUBLIC_BASE_URL=base)


PRODUCTION = {
    "KANAVA_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "PUBLIC_BASE_URL": "https://park.example.fi",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+358451234567",
    "STRIPE_SECRET_KEY": "sk_test_" + "k" * 24,
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "w" * 10,
}


def test_production_with_every_credential_starts(tmp_path: Path) -> None:
    settings = _load(tmp_path, **PRODUCTION)

    assert settings.environment == "production"
    assert settings.twilio_configured and settings.stripe_configured
    assert not (tmp_path / "instance" / "secret_key").exists()
    assert not (tmp_path / "instance" / "simulator_token").exists()


@pytest.mark.parametrize(
    "missing",
    ["TWILIO_ACCOUNT_SID", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "TWILIO_FROM_NUMBER"],
)
def test_production_refuses_the_local_outbox_and_the_demo_payment_page(
    tmp_path: Path, missing: str
) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    if missing == "TWILIO_ACCOUNT_SID":
        env.pop("TWILIO_AUTH_TOKEN")
    with pytest.raises(ConfigError, match=missing.split("_")[0]):
        _load(tmp_path, **env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_LANGUAGE", "de"),
        ("DEFAULT_LANGUAGE", "FI "),
        ("APP_TIMEZONE", "Europe/Turku"),
        ("APP_TIMEZONE", "+02:00"),
        ("REMINDER_LEAD_MINUTES", "-1"),
        ("PAYMENT_GRACE_MINUTES", "-5"),
        ("PAYMENT_GRACE_MINUTES", "ten"),
        ("REMINDER_LEAD_MINUTES", "2.5"),
        ("CURRENCY", "EURO"),
        ("CURRENCY", "€"),
    ],
)
def test_a_bad_value_refuses_to_start_and_names_the_setting(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=name.split("_")[0]):
        _load(tmp_path, **{name: value})


@pytest.mark.parametrize(
    "env",
    [{"TWILIO_ACCOUNT_SID": TWILIO_SID}, {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN}],
    ids=["sid only", "token only"],
)
def test_half_of_the_twilio_credentials_refuses_to_start(
    tmp_path: Path, env: dict[str, str]
) -> None:
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID"):
        _load(tmp_path, **env)


def test_without_twilio_the_webhook_is_signed_with_a_local_simulator_token(
    tmp_path: Path,
) -> None:
    first = _load(tmp_path)
    second = _load(tmp_path)

    stored = (tmp_path / "instance" / "simulator_token").read_text().strip()
    assert first.webhook_auth_token == stored
    assert second.webhook_auth_token == stored
    assert stored != first.secret_key


def test_with_twilio_the_webhook_is_signed_with_the_twilio_auth_token(tmp_path: Path) -> None:
    settings = _load(tmp_path, TWILIO_ACCOUNT_SID=TWILIO_SID, TWILIO_AUTH_TOKEN=TWILIO_TOKEN)

    assert settings.twilio_configured is True
    assert settings.webhook_auth_token == TWILIO_TOKEN
    assert settings.simulator_auth_token is None
    assert not (tmp_path / "instance" / "simulator_token").exists()


def test_settings_with_no_token_at_all_refuse_to_validate_webhooks() -> None:
    settings = Settings(database_url="sqlite://", secret_key="k")

    with pytest.raises(ConfigError):
        settings.webhook_auth_token  # noqa: B018


class TestWithTwilioConfigured:
    """An app whose settings carry Twilio credentials (and, as in tests, a simulator token)."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"twilio_account_sid": TWILIO_SID, "twilio_auth_token": TWILIO_TOKEN}

    def _post(self, client: FlaskClient, phone: Phone, token: str) -> int:
        params = phone.params("ABC-123 101 1h")
        signature = sign(PUBLIC_BASE_URL + "/twilio/sms", params, token=token)
        response = client.post(
            "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        return response.status_code

    def test_the_phone_simulator_is_not_served(self, client: FlaskClient) -> None:
        assert client.get("/simulator/").status_code == 404

    def test_a_request_signed_with_the_simulator_token_is_refused(
        self, app: Flask, client: FlaskClient, phone: Phone
    ) -> None:
        assert self._post(client, phone, WEBHOOK_TOKEN) == 403
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Order)) == 0

    def test_a_request_signed_with_the_twilio_token_is_accepted(
        self, app: Flask, client: FlaskClient, phone: Phone
    ) -> None:
        assert self._post(client, phone, TWILIO_TOKEN) == 200
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_without_twilio_the_phone_simulator_is_served(client: FlaskClient) -> None:
    assert client.get("/simulator/").status_code == 200


class TestInProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"environment": "production"}

    def test_the_phone_simulator_is_hidden(self, client: FlaskClient) -> None:
        assert client.get("/simulator/").status_code == 404


def test_proxy_hops_default_to_one_and_can_be_turned_off(tmp_path: Path) -> None:
    assert _load(tmp_path).proxy_hops == 1
    assert _load(tmp_path, PROXY_HOPS="0").proxy_hops == 0


def test_the_local_base_url_follows_the_port_make_run_serves(tmp_path: Path) -> None:
    assert _load(tmp_path, PORT="8123").public_base_url == "http://127.0.0.1:8123"
    assert (
        _load(tmp_path, PORT="8123", PUBLIC_BASE_URL="https://p.example.fi/").public_base_url
        == "https://p.example.fi"
    )
