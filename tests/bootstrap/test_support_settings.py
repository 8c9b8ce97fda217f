"""SUPPORT_HOURS and SIGN_NUMBERS: defaults, what they accept, and bad values refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bootstrap import build_kanava
from app.config import ConfigError, Settings, load_settings


def _load(tmp_path: Path, **env: str) -> Settings:
    return load_settings(env, instance_path=tmp_path / "instance")


def test_defaults(tmp_path: Path) -> None:
    settings = _load(tmp_path)
    assert settings.support_hours == "mon-fri 08:00-16:00"
    assert settings.sign_numbers == ()
    assert settings.sign_for_number("+358451234567") is None


def test_sign_numbers_map_service_numbers_to_sign_codes(tmp_path: Path) -> None:
    settings = _load(tmp_path, SIGN_NUMBERS="+358 45 111 1111=KAUPPATORI-A, +358452222222=B2")
    assert settings.sign_for_number("+358451111111") == "KAUPPATORI-A"
    assert settings.sign_for_number("+358452222222") == "B2"
    assert settings.sign_for_number("+358453333333") is None


@pytest.mark.parametrize("bad", ["358451111111=A", "+358451111111", "+358451111111="])
def test_bad_sign_numbers_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="SIGN_NUMBERS"):
        _load(tmp_path, SIGN_NUMBERS=bad)


def test_bad_support_hours_stop_the_start(tmp_path: Path) -> None:
    settings = _load(tmp_path, SUPPORT_HOURS="weekdays 8-16")
    with pytest.raises(ConfigError, match="SUPPORT_HOURS"):
        build_kanava(settings)
    build_kanava(_load(tmp_path, SUPPORT_HOURS="ma-pe 8-16; la 10-14"))
