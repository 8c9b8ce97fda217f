"""``flask db …`` and Flask-Migrate's functions through :func:`app.cli.register_migrations`,
which keeps Flask-Migrate (and Alembic) out of a web worker until a migration command runs."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import inspect, text

from app import create_app
from app.cli import register_migrations
from app.extensions import db
from tests.conftest import make_settings

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def _app(url: str) -> Flask:
    app = create_app(make_settings(url))
    register_migrations(app, db, directory=MIGRATIONS, render_as_batch=True)
    return app


def _head_and_tables(app: Flask) -> tuple[str, set[str]]:
    with app.app_context():
        with db.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return str(version), tables


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(MIGRATIONS).get_current_head()
    assert head
    return head


def test_flask_db_upgrade_migrates_an_empty_database(empty_database_url: str) -> None:
    app = _app(empty_database_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    version, tables = _head_and_tables(app)
    assert version == _head()
    assert {"orders", "events", "customers"} <= tables


def test_flask_migrates_functions_find_their_settings(empty_database_url: str) -> None:
    from flask_migrate import downgrade, upgrade

    app = _app(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
    assert _head_and_tables(app)[0] == _head()


def test_flask_db_help_lists_the_migration_commands(tmp_path: Path) -> None:
    app = _app(f"sqlite:///{tmp_path}/help.db")
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("upgrade", "downgrade", "current", "migrate"):
        assert command in result.output
