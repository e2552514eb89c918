"""A throwaway local PostgreSQL cluster: for the test suite and loopback benchmarks.

``initdb`` + ``pg_ctl`` from Debian's server packages (``/usr/lib/postgresql/*/bin``) into a
fresh temporary folder, listening on 127.0.0.1 on a free port with its socket in that folder.
PostgreSQL refuses to run as root, so under root the cluster runs as the ``postgres`` user
(or ``nobody``) with the folder handed to it. Stdlib only until a database is created.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) are needed for these tests: run "
    "`sudo scripts/system-deps.sh` (or `apt-get install -y postgresql`), or set "
    "AIMASS_PG_BIN to the folder holding initdb and pg_ctl"
)


class PostgresUnavailable(RuntimeError):
    pass


def find_bin() -> Path:
    env = os.environ.get("AIMASS_PG_BIN", "").strip()
    candidates = [Path(env)] if env else []
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += [Path(p) for p in versions]
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise PostgresUnavailable(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and no unprivileged user (postgres, nobody) exists")


class Cluster:
    """One running server; ``url(db)`` gives a SQLAlchemy URL, ``new_database`` makes one."""

    def __init__(self) -> None:
        self.bin = find_bin()
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="aimass-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._count = 0
        self._lock = threading.Lock()
        if self.user:
            import pwd

            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._started = False

    def _cmd(self, *args: str | Path) -> list[str]:
        cmd = [str(a) for a in args]
        if self.user:
            runuser = shutil.which("runuser")
            if runuser:
                return [runuser, "-u", self.user, "--", *cmd]
            return ["su", "-s", "/bin/sh", self.user, "-c", " ".join(cmd)]
        return cmd

    def start(self) -> Cluster:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        steps = [
            self._cmd(
                self.bin / "initdb",
                "-D",
                str(self.data),
                "-U",
                "aimass",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ),
            self._cmd(
                self.bin / "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c full_page_writes=off -c max_connections=200",
            ),
        ]
        for cmd in steps:
            out = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=120, cwd=self.root
            )
            if out.returncode != 0:
                log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
                self.stop()
                raise PostgresUnavailable(
                    f"PostgreSQL could not start ({Path(cmd[0]).name} "
                    f"exit {out.returncode}): {out.stderr.strip()[-1500:]} {log}\n" + INSTALL_HINT
                )
        self._started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://aimass@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        import psycopg

        with self._lock:
            self._count += 1
            name = f"{prefix}_{os.getpid()}_{self._count}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=aimass dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            subprocess.run(
                self._cmd(self.bin / "pg_ctl", "stop", "-D", str(self.data), "-m", "immediate"),
                capture_output=True,
                timeout=60,
                cwd=self.root,
            )
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)


_shared: Cluster | None = None
_users = 0


def acquire() -> Cluster:
    """The process's shared cluster, started on first use (reference counted)."""
    global _shared, _users
    if _shared is None:
        _shared = Cluster().start()
        atexit.register(_stop_at_exit)  # a crashed or interrupted run leaves no server behind
    _users += 1
    return _shared


def _stop_at_exit() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


def release() -> None:
    global _shared, _users
    _users -= 1
    if _users <= 0 and _shared is not None:
        _shared.stop()
        _shared = None
        _users = 0
