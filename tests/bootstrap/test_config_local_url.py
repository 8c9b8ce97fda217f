"""Every command in one checkout links to the address `make run` serves (round 2,
finding 11): make run remembers it in the instance folder, and settings read it back when
neither PUBLIC_BASE_URL nor PORT says otherwise."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import load_settings


def test_a_command_without_port_links_to_the_address_make_run_serves(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "local_url").write_text("http://127.0.0.1:8123\n")

    assert load_settings({}, instance_path=instance).public_base_url == "http://127.0.0.1:8123"
    with_port = load_settings({"PORT": "8200"}, instance_path=instance)
    assert with_port.public_base_url == "http://127.0.0.1:8200"
    given = load_settings({"PUBLIC_BASE_URL": "https://k.example"}, instance_path=instance)
    assert given.public_base_url == "https://k.example"


def test_without_a_remembered_address_the_default_stays(tmp_path: Path) -> None:
    settings = load_settings({}, instance_path=tmp_path / "instance")
    assert settings.public_base_url == "http://127.0.0.1:8000"


def test_make_run_remembers_the_address_it_serves(repo_root: Path) -> None:
    makefile = (repo_root / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"http://127\.0\.0\.1:\$\(PORT\)\"? > .*local_url", run), run
