"""`make run` serves clients directly (gunicorn bound to 127.0.0.1, no proxy in front), so
it trusts no X-Forwarded-For (PROXY_HOPS=0) unless the environment or .env sets PROXY_HOPS:
otherwise any client could claim another address and dodge the per-address limits."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def served_with(repo: Path, tmp_path: Path, env_file: str | None, **env: str) -> str:
    """The run recipe's commands as make expands them (``make -n``), in a copy of the
    Makefile beside an optional .env."""
    shutil.copy(repo / "Makefile", tmp_path / "Makefile")
    (tmp_path / ".venv").mkdir()
    (tmp_path / "requirements.txt").write_text("")
    (tmp_path / ".venv" / ".installed").write_text("")
    if env_file is not None:
        (tmp_path / ".env").write_text(env_file)
    clean = {k: v for k, v in os.environ.items() if k != "PROXY_HOPS"}
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8999"],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture
def repo() -> Path:
    return Path(__file__).resolve().parents[2]


def test_make_run_trusts_no_forwarded_header_by_default(repo: Path, tmp_path: Path) -> None:
    assert "export PROXY_HOPS=0;" in served_with(repo, tmp_path, None)


def test_make_run_keeps_proxy_hops_from_the_environment(repo: Path, tmp_path: Path) -> None:
    assert "export PROXY_HOPS=1;" in served_with(repo, tmp_path, None, PROXY_HOPS="1")


def test_make_run_keeps_proxy_hops_from_dot_env(repo: Path, tmp_path: Path) -> None:
    assert "export PROXY_HOPS=2;" in served_with(repo, tmp_path, "DEBUG=1\nPROXY_HOPS=2\n")
