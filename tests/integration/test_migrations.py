"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import Base, db
from tests.conftest import database_url_for, make_settings


@pytest.fixture
def empty_database_url(backend: str, tmp_path: pytest.TempPathFactory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/migrations.db"  # type: ignore[operator]
    url = database_url_for("postgres", "")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS kanava_migrations"))
        conn.execute(text("CREATE DATABASE kanava_migrations"))
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/kanava_migrations"


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_database_url: str) -> None:
    app = create_app(make_settings(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        db.engine.dispose()
