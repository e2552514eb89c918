"""``aimass serve`` and ``aimass keys``: run the HTTP service; manage its API keys.

Heavy imports (uvicorn, FastAPI, SQLAlchemy, torch) happen inside the commands so that
``aimass --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from pathlib import Path

import typer

from aimass.cli.common import ARTIFACT_SUBDIR, handle_errors, setup_logging

keys_app = typer.Typer(help="Create, list and revoke the service's API keys.", no_args_is_help=True)

DB_HELP = "Database: a SQLite path or postgresql://user@host:port/db (default: $AIMASS_DATABASE_URL or $AIMASS_HOME/service.db)."


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")


def resolve_model(target: Path, *, train_if_missing: bool = True) -> Path:
    """An artifact folder, or a project folder (trained first when it has no model yet)."""
    from aimass.errors import ServiceError

    if (target / "aimass-artifact.json").exists():
        return target
    if (target / "aimass.yaml").exists():
        model = target / ARTIFACT_SUBDIR
        if not (model / "aimass-artifact.json").exists():
            if not train_if_missing:
                raise ServiceError(
                    f"{target} has no trained model", code="AM815", hint=f"aimass train {target}"
                )
            from aimass.training.from_project import train_project

            typer.secho(f"{target} has no trained model yet: training it first …", bold=True)
            train_project(target, model)
        return model
    raise ServiceError(
        f"{target} is neither a trained artifact nor a bot project",
        code="AM815",
        hint="point at a project folder (with aimass.yaml) or an artifact folder",
    )


def _database_url(database: str | None) -> str:
    from aimass.storage.db import default_url, normalise_url

    return normalise_url(database) if database else default_url()


@handle_errors
def serve(
    target: Path = typer.Argument(..., help="A bot project folder or a trained artifact folder."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Server processes (share the database)."),
    database: str | None = typer.Option(None, "--database", "--db", help=DB_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Serve the assistant over HTTP: API under /v1, docs at /docs, /widget and /console.

    Settings come from AIMASS_* environment variables (AIMASS_CORS_ORIGINS,
    AIMASS_RATE_PER_MINUTE, AIMASS_MAX_TEXT_CHARS, ...). On the first start, when the
    database has no API keys, an admin key and a client key are created and shown once.
    """
    setup_logging(verbose)
    model = resolve_model(target)
    url = _database_url(database)
    start_service(model, host=host, port=port, workers=workers, url=url, verbose=verbose)


def start_service(
    model: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    url: str,
    verbose: bool = False,
    demo: bool = False,
) -> None:
    """Migrate, make sure someone can log in, print the addresses, run uvicorn (blocks).

    ``demo``: a local demo (``aimass demo``): the widget chats without a key and a fresh
    console key is printed on every start (the previous demo key is revoked).
    """
    import uvicorn

    from aimass.storage.store import Store

    _check_port(host, port)
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    store = Store(url)  # migrate once here, before the workers start
    if demo:
        for k in store.list_keys():
            if k["name"] == "demo console" and not k["revoked"]:
                store.revoke_key(k["id"])
        _, admin = store.create_key("admin", "demo console")
        os.environ["AIMASS_ANONYMOUS_CLIENT"] = "true"
        typer.secho("the service is up at:", bold=True)
        typer.echo(f"  chat widget    {base}/widget/")
        typer.echo(f"  admin console  {base}/console/#key={admin}")
        typer.echo(f"  API docs       {base}/docs")
    elif not store.has_keys():
        _, admin = store.create_key("admin", "first admin (aimass serve)")
        _, client = store.create_key("client", "widget (aimass serve)")
        store.audit(None, "key.bootstrap", None)
        typer.secho("first start: API keys created (shown only now, keep them):", bold=True)
        typer.echo(f"  admin  {admin}\n  client {client}")
        typer.echo(f"  widget  {base}/widget/?key={client}")
        typer.echo(f"  console {base}/console/#key={admin}")
    store.close()
    os.environ["AIMASS_MODEL"] = str(Path(model).resolve())
    os.environ["AIMASS_DATABASE_URL"] = url
    os.environ.setdefault("AIMASS_LOG_LEVEL", "INFO" if verbose else "WARNING")
    typer.secho(
        f"serving {model} on {base} (docs /docs, widget /widget/, console /console/); Ctrl-C stops",
        bold=True,
    )
    app = "aimass.service.app:create_app_from_env"
    log_level = "info" if verbose else "warning"
    if workers == 1:
        uvicorn.run(app, factory=True, host=host, port=port, log_level=log_level)
        return
    # What uvicorn.run does for workers > 1, but with our own listening socket (see
    # listening_socket): the supervisor hands it to each worker process.
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        app, factory=True, host=host, port=port, workers=workers, log_level=log_level
    )
    with listening_socket(host, port) as sock, contextlib.suppress(KeyboardInterrupt):
        shown_host = f"[{host}]" if ":" in host else host
        logging.getLogger("uvicorn.error").info(
            "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown_host, port
        )
        Multiprocess(config, sockets=[sock]).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the worker processes of ``--workers N`` share, bound (they listen on it).

    Made with ``proto=IPPROTO_TCP``, unlike uvicorn's own (``Config.bind_socket``, proto 0):
    asyncio's transports set TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP, and
    ``accept()`` gives a connection the listening socket object's ``proto``, which survives
    the hand-over to a worker process (multiprocessing rebuilds it from family, type, proto).
    Without TCP_NODELAY every keep-alive response waited on the client's delayed ACK, about
    40 ms per request (https://github.com/Kludex/uvicorn/issues/3149). One worker is not
    affected: there ``loop.create_server`` makes its sockets from getaddrinfo, proto TCP.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        from aimass.errors import ServiceError

        sock.close()
        raise ServiceError(
            f"cannot listen on {host}:{port} (in use, or not an address of this machine)",
            code="AM817",
            hint="pass another --port (or --host)",
        ) from None
    sock.set_inheritable(True)
    return sock


def _check_port(host: str, port: int) -> None:
    listening_socket(host, port).close()  # raises the coded error when it cannot bind


@keys_app.command("create")
@handle_errors
def keys_create(
    scope: str = typer.Option(..., help="client (chat, feedback) | agent (queues) | admin."),
    name: str = typer.Option("", help="A label for the key."),
    database: str | None = typer.Option(None, "--database", "--db", help=DB_HELP),
) -> None:
    """Create a key; the token is printed once (only its hash is stored)."""
    from aimass.storage.store import Store

    store = Store(_database_url(database))
    info, token = store.create_key(scope, name)
    store.audit("cli", "key.create", info["id"], scope=scope, name=name)
    store.close()
    typer.echo(token)
    typer.secho(f"key {info['id']} ({scope}) created; the token is not shown again", err=True)


@keys_app.command("list")
@handle_errors
def keys_list(
    database: str | None = typer.Option(None, "--database", "--db", help=DB_HELP),
) -> None:
    """List keys (never their tokens)."""
    from aimass.storage.store import Store

    store = Store(_database_url(database))
    for k in store.list_keys():
        state = "revoked" if k["revoked"] else "active"
        used = k["last_used_at"].isoformat(timespec="seconds") if k["last_used_at"] else "never"
        typer.echo(f"{k['id']}  {k['scope']:<6}  {state:<7}  last used {used}  {k['name']}")
    store.close()


@keys_app.command("revoke")
@handle_errors
def keys_revoke(
    key_id: str = typer.Argument(..., help="The key id shown by `aimass keys list`."),
    database: str | None = typer.Option(None, "--database", "--db", help=DB_HELP),
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from aimass.storage.store import Store

    store = Store(_database_url(database))
    store.revoke_key(key_id)
    store.audit("cli", "key.revoke", key_id)
    store.close()
    typer.echo(f"key {key_id} revoked")
