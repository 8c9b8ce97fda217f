"""The operator's commands (``flask --app wsgi …``), as the contract lists them."""

from __future__ import annotations

import getpass
import json
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.backend import users as users_service
from app.backend import zones
from app.backend.privacy import CustomerBusy
from app.clock import duties
from app.extensions import db, kanava
from app.models import Customer
from app.usecases import operator_commands
from app.usecases import privacy as privacy_usecase

seed = AppGroup("seed", help="Load demo data.")
zones_cli = AppGroup("zones", help="Zones and tariffs.")
users = AppGroup("users", help="Panel users.")
tokens_cli = AppGroup("tokens", help="API tokens for handhelds.")
jobs = AppGroup("jobs", help="Scheduled duties.")
scheduler = AppGroup("scheduler", help="The clock process.")
dev = AppGroup("dev", help="Local development helpers.")
customers_cli = AppGroup("customers", help="Customers' personal data: export, erase.")

ROLES = users_service.ROLES


def _now() -> datetime:
    return kanava().clock()


@seed.command("demo")
def seed_demo() -> None:
    """Load the demo zones (idempotent)."""
    result = operator_commands.seed_demo_zones(db.session(), _now())
    click.echo(f"demo zones: {result.created} created, {result.updated} updated")


@zones_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def zones_import(file: Path) -> None:
    """Create or update zones and tariffs from a YAML FILE."""
    try:
        result = operator_commands.import_zones_file(db.session(), file, _now())
    except zones.ZoneFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"zones: {result.created} created, {result.updated} updated")


@users.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(name: str, role: str, password_stdin: bool) -> None:
    """Create a panel user NAME; asks for the password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        operator_commands.create_user(db.session(), name, role, password, _now())
    except users_service.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {name} ({role}) created")


@tokens_cli.command("create")
@click.argument("name")
def tokens_create(name: str) -> None:
    """Print a new API token for handheld NAME (stored hashed; shown only now)."""
    click.echo(operator_commands.create_token(db.session(), name, _now()))


@jobs.command("tick")
@click.option("--at", "at", default=None, help="ISO 8601 moment to run the duties for.")
def jobs_tick(at: str | None) -> None:
    """Run every scheduled duty that is due now (or --at)."""
    when = _now()
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.ClickException(f"--at {at!r} is not ISO 8601") from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=kanava().settings.tz)
        when = when.astimezone(UTC)
    report = duties.run_due(db.session(), kanava(), when)
    click.echo(str(report))


@scheduler.command("run")
@click.option("--interval", default=30, show_default=True, help="Seconds between sweeps.")
def scheduler_run(interval: int) -> None:
    """Run the clock process: every duty, every INTERVAL seconds, until stopped."""
    # Imported here: create_app registers these commands in every web worker too, and
    # APScheduler (with its thread and process pools) is only ever run by the clock.
    from app.clock.scheduler import run_forever

    run_forever(interval)


def _cli_actor() -> str:
    """Who ran a command, for the audit trail: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a bare container
        return "cli"


def _customer(phone: str) -> Customer:
    try:
        return privacy_usecase.find(db.session(), phone)
    except privacy_usecase.UnknownCustomer as exc:
        raise click.ClickException(f"no customer with the number {phone}") from exc


@customers_cli.command("export")
@click.argument("phone")
def customers_export(phone: str) -> None:
    """Print everything kept about the customer with PHONE, as JSON (recorded)."""
    data = privacy_usecase.export_customer(db.session(), _customer(phone), _cli_actor(), _now())
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@customers_cli.command("erase")
@click.argument("phone")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def customers_erase(phone: str, yes: bool) -> None:
    """Erase the customer with PHONE: number, texts, card and vehicles go; orders and
    payments stay for accounting, detached (recorded)."""
    customer = _customer(phone)
    if not yes:
        click.confirm(f"Erase the customer {phone}? This cannot be undone", abort=True)
    try:
        erased = privacy_usecase.erase_customer(
            db.session(), customer, _cli_actor(), _now(), payments=kanava().payments
        )
    except CustomerBusy as exc:
        raise click.ClickException(
            "the customer has a parking or booking running; erase after it ends"
        ) from exc
    except privacy_usecase.PaymentProviderUnavailable as exc:
        raise click.ClickException(
            "the payment provider could not be reached to delete the saved cards; "
            "nothing was erased, try again"
        ) from exc
    cards = erased.payment_customer == "deleted"
    click.echo(
        f"customer erased: {erased.events_blanked} events and {erased.messages_blanked} "
        f"messages blanked, {erased.vehicles_removed} vehicles removed, "
        f"{erased.orders_kept} orders kept for accounting"
        + ("; saved cards deleted at the payment provider" if cards else "")
    )


@dev.command("init")
def dev_init() -> None:
    """Seed the demo zones and a demo attendant when the database has none (make run)."""
    if not zones.active_codes(db.session()):
        operator_commands.seed_demo_zones(db.session(), _now())
        click.echo("demo zones loaded")
    if not users_service.count(db.session()):
        password_file = Path(kanava_instance_path()) / "demo_password"
        if password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(9)
            password_file.write_text(password)
            password_file.chmod(0o600)
        operator_commands.create_user(db.session(), "demo", "admin", password, _now())
        click.echo("demo admin created")


def kanava_instance_path() -> str:
    """The app's instance folder (``KANAVA_INSTANCE_PATH``, see ``config.instance_dir``),
    created when missing."""
    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    return current_app.instance_path


class _Migrations:
    """What Flask-Migrate keeps in ``app.extensions["migrate"]`` (its ``flask db``
    commands and its ``upgrade()`` … functions read it), standing in until first used:
    then it builds Flask-Migrate's own, which replaces it.

    Flask-Migrate imports Alembic, Mako and Pygments, about 8.5 MiB that every web
    worker would carry for commands only an operator runs.
    """

    def __init__(self, app: Flask, db: Any, directory: str, options: dict[str, Any]) -> None:
        self._app = app
        self._db = db
        self._directory = directory
        self._options = options

    def __getattr__(self, name: str) -> Any:  # only for what this stand-in lacks
        from flask_migrate import Migrate

        Migrate(self._app, self._db, directory=self._directory, **self._options)
        real = self._app.extensions["migrate"]
        assert real is not self
        return getattr(real, name)


class _MigrationCommands(click.Command):
    """``flask db …``: Flask-Migrate's command group, imported when it is run (or its help
    asked for); ``flask --help`` lists it without importing it."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # Click runs whatever command the context it gets back names: Flask-Migrate's group.
        from flask_migrate.cli import db as group

        context: click.Context = group.make_context(info_name, args, parent=parent, **extra)
        return context


def register_migrations(app: Flask, db: Any, *, directory: str, **options: Any) -> None:
    """``flask db …`` and Flask-Migrate's functions for ``app``, as
    ``Migrate().init_app(app, db, directory=directory, **options)`` gives them, without
    importing Flask-Migrate (nor Alembic) until one of them is used."""
    app.extensions["migrate"] = _Migrations(app, db, directory, options)
    app.cli.add_command(_MigrationCommands("db", help="Perform database migrations."))


def register(app: Flask) -> None:
    for group in (seed, zones_cli, users, tokens_cli, jobs, scheduler, dev, customers_cli):
        app.cli.add_command(group)
