"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Engine, inspect

from app import create_app
from app.extensions import Base, db
from tests.conftest import make_settings


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


def _indexes(engine: Engine) -> dict[tuple[str, str | None], tuple[object, ...]]:
    """Every index as the database reports it, a partial one's ``WHERE`` included."""
    inspector = inspect(engine)
    found: dict[tuple[str, str | None], tuple[object, ...]] = {}
    for table in inspector.get_table_names():
        for index in inspector.get_indexes(table):
            options = index.get("dialect_options", {})
            where = {k: str(v) for k, v in options.items() if k.endswith("_where")}
            found[(table, index["name"])] = (index["column_names"], index["unique"], where)
    return found


def test_the_migrated_indexes_are_the_models_partial_ones_included(
    empty_database_url: str,
) -> None:
    """``compare_metadata`` does not compare a partial index's ``WHERE``: the indexes the
    migrations build are compared with those ``create_all`` builds, on the same database."""
    app = create_app(make_settings(empty_database_url))
    with app.app_context():
        upgrade()
        migrated = _indexes(db.engine)
        downgrade(revision="base")
        Base.metadata.create_all(db.engine)
        created = _indexes(db.engine)
        Base.metadata.drop_all(db.engine)
        db.engine.dispose()
    assert migrated == created
    # The comparison sees a WHERE: reflection reports it on this database.
    assert created[("events", "ix_events_case_id")][2]
