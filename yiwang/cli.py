"""The ``yiwang`` command line. Its commands and options are a stable interface: operators'
scripts depend on them."""

from __future__ import annotations

import datetime as dt
import getpass
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from yiwang import __version__, cli_serve
from yiwang.core.config import get_settings
from yiwang.core.db import Database
from yiwang.core.errors import AppError
from yiwang.core.i18n import negotiate
from yiwang.core.policy import Actor, Role


def _language() -> str:
    return negotiate(os.environ.get("LANG", "").replace("_", "-").split(".")[0] or None)


def _database() -> Database:
    settings = get_settings()
    return Database(settings.database_url, pool_size=settings.db_pool_size)


def _operator() -> Actor:
    """Whoever runs the CLI has shell access to the server: they act as a sysadmin, and the
    audit log names their operating-system account."""
    try:
        account = getpass.getuser()
    except (KeyError, OSError):
        account = str(os.getuid())
    return Actor(username=f"cli:{account}"[:64], role=Role.SYSADMIN, via="cli")


def _fail(exc: AppError) -> None:
    click.echo(f"error: {exc.message(_language())}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(__version__, prog_name="yiwang")
def main() -> None:
    """yiwang 一网: one network for a government's data, sensors and services."""
    from yiwang.core import logging as ylogging  # noqa: PLC0415

    settings = get_settings()
    ylogging.configure(
        "WARNING" if settings.log_level.upper() == "INFO" else settings.log_level,
        settings.log_format,
    )
    _keep_files_private(settings.var_dir, settings.database_url)


def _keep_files_private(var_dir: Path, database_url: str) -> None:
    """Whatever yiwang writes (the database and its WAL, uploads, materials, the secret key) is
    readable by its own account alone: files 0600 and folders 0700 from now on, and the data
    folder and an SQLite database made by an earlier version closed to others too."""
    os.umask(0o077)
    for path in (var_dir, *_sqlite_files(database_url)):
        try:
            if path.is_dir():
                path.chmod(0o700)
            elif path.is_file():
                path.chmod(0o600)
        except OSError:  # not ours to change (a read-only mount): leave it, say nothing here
            continue


def _sqlite_files(database_url: str) -> list[Path]:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    try:
        url = make_url(database_url)
    except ValueError:
        return []
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    main = Path(url.database)
    return [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm")]


# --- serve -------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--host",
    "hosts",
    multiple=True,
    default=(cli_serve.EVERY_IPV4, cli_serve.EVERY_IPV6),
    show_default=True,
    help="Address to listen on; repeat for several (default: every IPv4 and IPv6 address)",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes"
)
@click.option("--demo", is_flag=True, help="Load the demo data first if the database is empty")
@click.option("--no-worker", is_flag=True, help="Do not run background jobs in this process")
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the schema at start")
def serve(
    hosts: tuple[str, ...], port: int, workers: int, demo: bool, no_worker: bool, no_migrate: bool
) -> None:
    """Serve the portal, the console and the APIs. Once it listens it prints where to go (and,
    when it has just loaded the demo, the demo users and their passwords)."""
    import uvicorn  # noqa: PLC0415
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    settings = get_settings()
    settings.log_level = os.environ.get("YIWANG_LOG_LEVEL", "INFO")
    from yiwang.core import logging as ylogging  # noqa: PLC0415

    ylogging.configure(settings.log_level, settings.log_format)
    # The addresses first: a port in use is told at once, before anything is changed.
    try:
        sockets = cli_serve.bind_all(hosts, port)
    except cli_serve.CannotListen as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    db = Database(settings.database_url)
    if not no_migrate:
        from yiwang.migrate import upgrade_and_seed  # noqa: PLC0415

        upgrade_and_seed(db)
    announcement: list[str] = []
    if demo:
        users, passwords = cli_serve.load_demo(db, only_if_empty=True)
        if users and not no_worker:
            # The jobs the demo queued run now, so that their logs come before the lines below
            # and the portal is complete when they are printed.
            cli_serve.run_queued_jobs(db, seconds=120)
        # On later starts, the file of the first one (if it is still there) is named again.
        kept = passwords if users else cli_serve.kept_passwords(settings.var_dir)
        announcement = cli_serve.demo_lines(users, kept)
    db.dispose()
    settings.secret()
    if no_worker:
        os.environ["YIWANG_EMBEDDED_WORKER"] = "0"
    config = uvicorn.Config(
        "yiwang.app:serve_app",
        factory=True,
        workers=workers,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1,::1",
        timeout_graceful_shutdown=10,
        # Beyond this many connections and requests at once, uvicorn answers 503 at once; the
        # slow-client time-outs uvicorn lacks are the reverse proxy's (docs/operations.md).
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
    )
    cli_serve.announce_when_listening(sockets, [*announcement, *cli_serve.where_to_go(sockets)])
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=sockets).run()
    else:
        server.run(sockets=sockets)


# --- worker ------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--import",
    "imports",
    multiple=True,
    help="Also import this module (which registers more job kinds)",
)
@click.option("--kind", "kinds", multiple=True, help="Run only jobs of this kind")
@click.option("--poll", default=1.0, show_default=True, type=float, help="Seconds between polls")
def worker(imports: tuple[str, ...], kinds: tuple[str, ...], poll: float) -> None:
    """Run background jobs until stopped (any number of workers may share a database)."""
    import signal  # noqa: PLC0415

    from yiwang import engines  # noqa: PLC0415
    from yiwang.core import tasks  # noqa: F401, PLC0415  (registers the core's job handlers)
    from yiwang.core.jobs import Worker  # noqa: PLC0415

    engines.load()
    for module in imports:
        importlib.import_module(module)
    settings = get_settings()
    db = _database()
    runner = Worker(
        db, lease_seconds=settings.job_lease_seconds, poll_seconds=poll, kinds=list(kinds) or None
    )
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    click.echo(f"worker {runner.name} started", err=True)
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop()


# --- demo --------------------------------------------------------------------------------------


@main.command()
def demo() -> None:
    """Load the demo data (Zhejiang departments, users, and every engine's demo), print the
    demo users' passwords and keep them in the data folder (demo-passwords.txt, mode 0600)."""
    from yiwang.migrate import upgrade_and_seed  # noqa: PLC0415

    db = _database()
    upgrade_and_seed(db)
    users, passwords = cli_serve.load_demo(db, only_if_empty=False)
    if users:
        click.echo("\n".join(cli_serve.demo_lines(users, passwords)))


# --- db ----------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (and load holiday schedules the database lacks)."""
    from yiwang import migrate  # noqa: PLC0415

    database = _database()
    if revision == "head":
        years = migrate.upgrade_and_seed(database)
        if years:
            click.echo(f"holiday schedules loaded: {years[0]}–{years[-1]}")
    else:
        migrate.upgrade(database.engine, revision)
    click.echo(f"schema at {migrate.current_revision(database.engine)}")


@db.command("current")
def db_current() -> None:
    """Print the schema revision."""
    from yiwang import migrate  # noqa: PLC0415

    click.echo(migrate.current_revision(_database().engine) or "(empty database)")


@db.command("check")
def db_check() -> None:
    """Exit non-zero if the models and the migrated schema differ."""
    from yiwang import migrate  # noqa: PLC0415

    differences = migrate.drift(_database().engine)
    for difference in differences:
        click.echo(repr(difference))
    if differences:
        sys.exit(1)
    click.echo("models and migrations agree")


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    from yiwang import migrate  # noqa: PLC0415

    migrate.revision(get_settings().database_url, message)


@main.command()
def openapi() -> None:
    """Print the OpenAPI document of the native and standard APIs."""
    import secrets  # noqa: PLC0415

    from yiwang.app import create_app  # noqa: PLC0415
    from yiwang.core.config import Settings  # noqa: PLC0415

    # A throw-away app on an in-memory database: only its routes are read.
    settings = Settings(secret_key=secrets.token_urlsafe(32), database_url="sqlite://")
    click.echo(json.dumps(create_app(settings).openapi(), ensure_ascii=False, indent=2))


# --- config ------------------------------------------------------------------------------------


@main.group()
def config() -> None:
    """Configuration."""


@config.command("show")
def config_show() -> None:
    """Print the effective configuration with secrets masked."""
    click.echo(json.dumps(get_settings().masked(), ensure_ascii=False, indent=2, default=str))


# --- users and tokens --------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--department", help="Department id, division code or Chinese name")
@click.option("--display-name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
def user_create(
    username: str, role: str, department: str | None, display_name: str | None, password_stdin: bool
) -> None:
    """Create a user. Without --password-stdin a password is generated and printed once."""
    import secrets  # noqa: PLC0415

    from yiwang.core import identity  # noqa: PLC0415

    generated = not password_stdin
    password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\r\n")
    try:
        with _database().session() as session:
            department_id = identity.find_department(session, department).id if department else None
            created = identity.create_user(
                session,
                actor=_operator(),
                username=username,
                role=identity.parse_role(role),
                department_id=department_id,
                display_name=display_name,
                password=password,
            )
            user_id = created.id
    except AppError as exc:
        _fail(exc)
    click.echo(f"user {username} created (id {user_id})", err=True)
    if generated:
        click.echo(f"password (shown once): {password}")


@user.command("reset-mfa")
@click.argument("username")
def user_reset_mfa(username: str) -> None:
    """Turn off a user's two-step verification (a lost phone) and end their web logins; a role
    that must have it sets up a new app at its next sign-in. Audited."""
    from yiwang.core import identity  # noqa: PLC0415
    from yiwang.core.errors import InvalidInput, NotFound  # noqa: PLC0415
    from yiwang.core.identity import second_factor  # noqa: PLC0415

    try:
        with _database().session() as session:
            try:
                owner = identity.get_user_by_username(session, username)
            except NotFound:
                raise InvalidInput("object_not_found", object="user", id=username) from None
            had = second_factor.reset(session, actor=_operator(), user_id=owner.id)
    except AppError as exc:
        _fail(exc)
    state = "reset (set up again at the next sign-in)" if had else "was not on"
    click.echo(f"two-step verification of {username} {state}; their web logins ended")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--expires-days", type=click.IntRange(1, 3650), default=90, show_default=True)
@click.option("--name", default="cli", show_default=True)
def token_create(username: str, expires_days: int, name: str) -> None:
    """Create an API token and print it alone on standard output (it is not stored)."""
    from yiwang.core import identity  # noqa: PLC0415
    from yiwang.core.errors import InvalidInput, NotFound  # noqa: PLC0415

    try:
        with _database().session() as session:
            try:
                owner = identity.get_user_by_username(session, username)
            except NotFound:
                raise InvalidInput("object_not_found", object="user", id=username) from None
            _, raw = identity.create_token(
                session, actor=_operator(), user_id=owner.id, name=name, expires_days=expires_days
            )
    except AppError as exc:
        _fail(exc)
    click.echo(raw)


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke an API token by its id."""
    from yiwang.core import identity  # noqa: PLC0415

    try:
        with _database().session() as session:
            identity.revoke_token(session, actor=_operator(), token_id=token_id)
    except AppError as exc:
        _fail(exc)
    click.echo(f"token {token_id} revoked")


# --- audit -------------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; report the first altered, deleted or inserted entry."""
    from yiwang.core import audit as audit_log  # noqa: PLC0415

    with _database().session(write=False) as session:
        result = audit_log.verify(session, actor=_operator())
    if result.ok:
        click.echo(f"audit log intact: {result.checked} entries verified")
        return
    click.echo(
        f"audit log BROKEN at entry {result.seq}: {result.problem}: {result.message} "
        f"({result.checked} entries before it verified)"
    )
    sys.exit(1)


# --- calendar ----------------------------------------------------------------------------------


@main.group()
def calendar() -> None:
    """The working-day calendar."""


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(2000, 2200), help="Refuse a file of any other year")
@click.option(
    "--no-recount",
    is_flag=True,
    help="Leave the recount of provisional deadlines to the server's job worker",
)
def calendar_import(file: Path, year: int | None, no_recount: bool) -> None:
    """Import a year's official holiday schedule (CSV date,type,name or JSON), then count again
    the deadlines of open cases that were counted on the provisional calendar."""
    from yiwang import engines  # noqa: PLC0415
    from yiwang.core import calendar as cal  # noqa: PLC0415

    engines.load()  # the engines' handlers of the import's event
    db = _database()
    try:
        with db.session() as session:
            years = cal.import_schedule(
                session,
                actor=_operator(),
                content=file.read_bytes(),
                filename=file.name,
                year=year,
            )
    except AppError as exc:
        _fail(exc)
    click.echo(f"official schedule imported for {', '.join(map(str, years))}")
    if no_recount:
        click.echo("deadlines counted on provisional days are recounted by the job worker")
        return
    for line in _recount_now(db):
        click.echo(line)


def _recount_now(db: Database) -> list[str]:
    """Deliver the import's event and run the recount it queues, here and now (a server's
    worker may take it first: then wait for that one)."""
    from sqlalchemy import select  # noqa: PLC0415

    from yiwang.cases.public import RECOUNT_JOB as RECOUNT  # noqa: PLC0415
    from yiwang.core.jobs import Job, Worker, wait_for  # noqa: PLC0415

    worker = Worker(db, kinds=[RECOUNT])
    worker.deliver_events()
    while worker.run_one():
        pass
    with db.session() as session:
        job = session.scalars(
            select(Job).where(Job.kind == RECOUNT).order_by(Job.id.desc())
        ).first()
        job_id = job.id if job else None
    if job_id is None:
        return ["no recount was queued (is the cases engine installed?)"]
    wait_for(db, job_id, timeout=600)
    with db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None  # noqa: S101  (just read)
        if job.status != "succeeded":
            return [f"recount job {job_id}: {job.status} {job.error or ''}".rstrip()]
        result = dict(job.result or {})
    lines = [
        f"recounted {result.get('checked', 0)} open cases counted on provisional days: "
        f"{result.get('changed', 0)} changed, {result.get('cards_noted', 0)} cards noted "
        f"(job {job_id})"
    ]
    lines.extend(_change_line(change) for change in result.get("changes", [])[:50])
    if len(result.get("changes", [])) > 50:
        lines.append(f"  ... and {len(result['changes']) - 50} more (see the job's result)")
    return lines


def _change_line(change: dict[str, Any]) -> str:
    due, legal = change["due_on"], change["legal_due_on"]
    line = f"  {change['number']}  due {due[0]} -> {due[1]} ({change['days']:+d} days)"
    if legal[0] != legal[1]:
        line += f", legal {legal[0]} -> {legal[1]}"
    return line


@calendar.command("allow-weekend-only", hidden=True)
@click.argument("year", required=False)
@click.option("--revoke", is_flag=True)
def calendar_allow(year: str | None, revoke: bool) -> None:  # noqa: ARG001  (kept for old scripts)
    """Retired: years with no official schedule are counted on the provisional calendar."""
    click.echo(
        "allow-weekend-only is retired: a year with no official holiday schedule is now counted "
        "on the provisional calendar derived from the holiday law, and deadlines counted over "
        "it are marked provisional (预计). Nothing needs allowing; import the official schedule "
        "with `yiwang calendar import FILE` when the State Council publishes it.",
        err=True,
    )


@calendar.command("years")
def calendar_years() -> None:
    """List the years with an official schedule."""
    from yiwang.core import calendar as cal  # noqa: PLC0415

    with _database().session() as session:
        for row in cal.years(session):
            state = "official" if row.has_schedule else "-"
            click.echo(f"{row.year}  {state:<9} {row.source}")


@calendar.command("status")
def calendar_status() -> None:
    """This year and next: official or provisional, and what an operator should do."""
    from yiwang.core import calendar as cal  # noqa: PLC0415
    from yiwang.core.i18n import translate  # noqa: PLC0415

    with _database().session() as session:
        found = cal.status(session)
    click.echo(f"today {found.today.isoformat()} (China)")
    # Consecutive years of one state and source on one line: "2004-2026  official ...".
    runs: list[list[cal.YearStatus]] = []
    for row in found.years:
        last = runs[-1][-1] if runs else None
        if last and (last.year + 1, last.state, last.source) == (row.year, row.state, row.source):
            runs[-1].append(row)
        else:
            runs.append([row])
    for run in runs:
        years = str(run[0].year) if len(run) == 1 else f"{run[0].year}-{run[-1].year}"
        click.echo(f"{years:<9}  {run[0].state:<11} {run[0].source or ''}".rstrip())
    for code, year in zip(found.warnings, found.warning_years, strict=True):
        click.echo(f"warning: {translate(code, _language(), {'year': year})}")


@calendar.command("due")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("days", type=click.IntRange(-3650, 3650))
def calendar_due(start: dt.datetime, days: int) -> None:
    """Print the due date DAYS working days after START, and whether it is provisional."""
    from yiwang.core import calendar as cal  # noqa: PLC0415

    try:
        with _database().session() as session:
            found = cal.due(session, start.date(), days)
    except AppError as exc:
        _fail(exc)
    click.echo(f"{found.day.isoformat()} {'provisional' if found.provisional else 'official'}")


# --- mqtt --------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--notify/--no-notify",
    default=None,
    help="Publish stored observations to subscribers (default: YIWANG_MQTT_NOTIFY)",
)
def mqtt(notify: bool | None) -> None:
    """Run the MQTT ingest bridge: store SensorThings observations published to the broker."""
    import signal  # noqa: PLC0415

    from yiwang import engines  # noqa: PLC0415
    from yiwang.core import logging as ylogging  # noqa: PLC0415
    from yiwang.core.config import mask_url  # noqa: PLC0415
    from yiwang.sensing.public import make_bridge  # noqa: PLC0415

    engines.load()
    settings = get_settings()
    ylogging.configure(os.environ.get("YIWANG_LOG_LEVEL", "INFO"), settings.log_format)
    try:
        bridge = make_bridge(
            settings,
            _database(),
            notify=notify,
            on_subscribed=lambda: click.echo("mqtt bridge subscribed", err=True),
        )
    except AppError as exc:
        _fail(exc)
    signal.signal(signal.SIGTERM, lambda *_: bridge.stop())
    click.echo(
        f"mqtt bridge {settings.mqtt_client_id} connecting to {mask_url(settings.mqtt_url)}",
        err=True,
    )
    try:
        bridge.run_forever()
    except KeyboardInterrupt:
        bridge.join()


# --- domain packs and the simulator -------------------------------------------------------------


@main.group()
def pack() -> None:
    """Domain packs: a sector's datasets, sensors, rules and service items (docs/packs.md)."""


def _load_pack_sections() -> None:
    """Import whatever reads a section of ``pack.toml``: the engines, and the portal (its
    ``[[dashboard.panels]]``, ``[search]``), so that a pack is validated and installed whole."""
    from yiwang import engines, portal  # noqa: F401, PLC0415

    engines.load()


def _find_pack(name_or_folder: str) -> Any:
    """The pack named so, or the pack in the folder of that path."""
    from yiwang.core import packs  # noqa: PLC0415

    folder = Path(name_or_folder)
    if folder.is_dir() and (folder / packs.PACK_FILE).is_file():
        return packs.read_folder(folder.resolve())
    try:
        return packs.find(name_or_folder)
    except AppError as exc:
        _fail(exc)


def _database_ready() -> Database | None:
    from yiwang.migrate import current_revision  # noqa: PLC0415

    db = _database()
    try:
        ready = current_revision(db.engine) is not None
    except Exception:  # noqa: BLE001  (no database at all: listed and validated all the same)
        ready = False
    if not ready:
        click.echo("(no database yet: `yiwang db upgrade` or `yiwang demo` sets one up)", err=True)
        return None
    return db


@pack.command("list")
def pack_list() -> None:
    """List the packs found (shipped, YIWANG_PACK_PATH, installed distributions), with their
    version and the version installed in the database."""
    from yiwang.core import packs  # noqa: PLC0415

    _load_pack_sections()
    db = _database_ready()
    from yiwang.sensing import public as sensing  # noqa: PLC0415

    installed: dict[str, str] = {}
    things: dict[str, int] = {}
    if db is not None:
        with db.session(write=False) as session:
            installed = {row.name: row.version for row in packs.installed(session)}
            things = sensing.things_by_pack(session)
    for manifest in packs.found().values():
        state = f"installed {installed[manifest.name]}" if manifest.name in installed else "-"
        if manifest.name in things:
            state += f", {things[manifest.name]} things"
        click.echo(
            f"{manifest.name:<14} {manifest.version:<8} {manifest.title:<10} "
            f"{manifest.origin:<12} {state}"
        )


@pack.command("validate")
@click.argument("packs_or_folders", nargs=-1)
def pack_validate(packs_or_folders: tuple[str, ...]) -> None:
    """Check packs (by name or folder; default: every pack found) and report every problem
    with its file, line and key. References to departments and installed items are checked
    when the database is set up."""
    from yiwang.core import packs  # noqa: PLC0415

    _load_pack_sections()
    chosen = [_find_pack(p) for p in packs_or_folders] or list(packs.found().values())
    db = _database_ready()
    failed = 0
    for manifest in chosen:
        try:
            if db is None:
                valid = packs.validate(manifest)
            else:
                with db.session(write=False) as session:
                    valid = packs.validate(manifest, session)
        except packs.PackInvalid as exc:
            failed += 1
            click.echo(f"{manifest.name} {manifest.version}: {len(exc.problems)} problem(s)")
            for problem in exc.problems:
                click.echo(f"  {problem}")
            continue
        counts = "; ".join(
            f"{engine}: " + ", ".join(f"{k} {v}" for k, v in kinds.items())
            for engine, kinds in valid.summary().items()
        )
        click.echo(f"{manifest.name} {manifest.version}: valid ({counts or 'empty'})")
    if failed:
        raise SystemExit(1)


@pack.command("show")
@click.argument("name_or_folder")
def pack_show(name_or_folder: str) -> None:
    """Show a pack: where it was found, its version, what each engine reads of it, and the
    version installed."""
    from yiwang.core import packs  # noqa: PLC0415

    _load_pack_sections()
    manifest = _find_pack(name_or_folder)
    click.echo(f"{manifest.name} {manifest.version}  {manifest.title}")
    click.echo(f"  found: {manifest.origin} ({manifest.location})")
    click.echo(f"  department: {manifest.department or '-'}")
    click.echo(f"  digest: {manifest.digest}")
    try:
        valid = packs.validate(manifest)
    except packs.PackInvalid as exc:
        for problem in exc.problems:
            click.echo(f"  problem: {problem}")
        raise SystemExit(1) from None
    for engine, kinds in valid.summary().items():
        click.echo(f"  {engine}: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    db = _database_ready()
    if db is not None:
        with db.session(write=False) as session:
            row = next((r for r in packs.installed(session) if r.name == manifest.name), None)
        click.echo(
            f"  installed: {row.version} ({row.updated_at:%Y-%m-%d %H:%M} UTC)"
            if row
            else "  installed: no"
        )


def _install_pack(name: str, *, upgrade: bool, department: str | None, demo: bool) -> None:
    from yiwang.core import packs  # noqa: PLC0415

    _load_pack_sections()
    manifest = _find_pack(name)
    options = packs.InstallOptions(demo=demo, department=department)
    try:
        with _database().session() as session:
            report = packs.install(
                session, actor=_operator(), manifest=manifest, upgrade=upgrade, options=options
            )
    except AppError as exc:
        _fail(exc)
    created = ", ".join(f"{k} {v}" for k, v in sorted(report.created.items())) or "nothing"
    updated = ", ".join(f"{k} {v}" for k, v in sorted(report.updated.items())) or "nothing"
    since = f" (was {report.previous})" if report.previous else ""
    click.echo(
        f"pack {report.pack} {report.version}{since} installed; created: {created}; "
        f"updated: {updated}"
    )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)


@pack.command("install")
@click.argument("name_or_folder")
@click.option("--department", help="Owning department (slug) instead of the pack's")
@click.option("--demo", "--demo-things", "demo", is_flag=True, help="Also add its demo content")
def pack_install(name_or_folder: str, department: str | None, demo: bool) -> None:
    """Install a pack (by name or folder); installing the same version twice changes
    nothing."""
    _install_pack(name_or_folder, upgrade=False, department=department, demo=demo)


@pack.command("upgrade")
@click.argument("name_or_folder")
@click.option("--department", help="Owning department (slug) instead of the pack's")
@click.option("--demo", is_flag=True, help="Also add its demo content")
def pack_upgrade(name_or_folder: str, department: str | None, demo: bool) -> None:
    """Bring an installed pack to the newer version found: what is new is added, what changed
    becomes a new version (service items), nothing is deleted."""
    _install_pack(name_or_folder, upgrade=True, department=department, demo=demo)


@main.command()
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    required=True,
    help="Observations per second",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to run (default: until interrupted)",
)
@click.option("--cities", help="GB/T 2260 codes of cities, comma-separated (default: all 11)")
@click.option("--url", help="MQTT broker (default: YIWANG_MQTT_URL)")
def simulate(rate: float, duration: float | None, cities: str | None, url: str | None) -> None:
    """Publish a realistic live stream of the packs' sensors over MQTT (QoS 1)."""
    import signal  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from yiwang import engines  # noqa: PLC0415
    from yiwang.core.config import mask_url  # noqa: PLC0415
    from yiwang.sensing import public as sensing  # noqa: PLC0415

    engines.load()
    codes = [c.strip() for c in cities.split(",") if c.strip()] if cities else None
    with _database().session(write=False) as session:
        streams = sensing.simulated_streams(session, cities=codes)
    if not streams:
        click.echo("no pack datastreams to simulate: install packs and things first", err=True)
        sys.exit(1)
    broker = url or get_settings().mqtt_url
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl-C ends with the summary
    click.echo(
        f"simulating {len(streams)} datastreams at {rate:g}/s to {mask_url(broker)}", err=True
    )
    try:
        summary = sensing.simulate(streams, url=broker, rate=rate, duration=duration, stop=stop)
    except OSError as exc:
        click.echo(f"error: cannot reach the MQTT broker {mask_url(broker)}: {exc}", err=True)
        sys.exit(2)
    for line in summary.lines():
        click.echo(line)


# --- cases -------------------------------------------------------------------------------------


@main.group()
def cases() -> None:
    """The cases engine: supervision and statistics."""


@cases.command("scan")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="As of this local day")
def cases_scan(day: object) -> None:
    """Issue the yellow and red cards due now (the supervision scan, run once)."""
    import datetime as dt  # noqa: PLC0415

    from yiwang.cases.public import scan_supervision  # noqa: PLC0415

    when = day.date() if isinstance(day, dt.datetime) else None
    try:
        with _database().session() as session:
            result = scan_supervision(session, today=when, actor=_operator())
    except AppError as exc:
        _fail(exc)
    click.echo(f"{result.day}: {result.yellow} yellow, {result.red} red")


@cases.command("schedule")
@click.option(
    "--every", default=600, show_default=True, type=click.IntRange(30), help="Seconds between"
)
@click.option("--statistics", is_flag=True, help="Also publish the statistics every month")
def cases_schedule(every: int, statistics: bool) -> None:
    """Queue the periodic supervision scan (it then queues its own next run)."""
    from yiwang.cases.public import schedule_publication, schedule_supervision  # noqa: PLC0415

    with _database().session() as session:
        job = schedule_supervision(session, every_seconds=every, actor=_operator())
        click.echo(f"supervision scan queued: job {job.id}")
        if statistics:
            published = schedule_publication(session, actor=_operator())
            click.echo(f"statistics publication queued: job {published.id}")
