"""Live processes for the fault and load tests: `promoter serve`, `promoter worker`, a private
PostgreSQL server that a test may restart or kill, and a small HTTP client.

Everything listens on 127.0.0.1 only, and every process is started in its own session so
that stopping it (on success or failure) also stops its children. Seeding a database that the
test process is not connected to runs this module as a script: ``python -m
promoter.tests.live seed`` (with DATABASE_URL set) prints what the load needs as JSON.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
PROMOTER = PYTHON.parent / "promoter"
if not PROMOTER.exists():
    PROMOTER = ROOT / ".venv" / "bin" / "promoter"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
ARTIFACTS = ROOT / "artifacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, step: float = 0.1) -> None:
    """Poll ``check`` until it is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    timeout: float = 10.0,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """Send one request to 127.0.0.1:``port`` (JSON ``body`` unless bytes); return the status
    and the raw body. Raises OSError or http.client.HTTPException when there is no reply."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, data, all_headers)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def rss_kib(pid: int) -> int | None:
    """Return the resident set size of ``pid`` in KiB (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def children(pid: int) -> list[int]:
    """Return the ids of the direct children of ``pid``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _stop_group(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class _ProcessGroup:
    """A command started in its own process group (it and all its children)."""

    process: subprocess.Popen[bytes] | None = None

    def _spawn(self, command: list[str], env: dict[str, str], log: Path) -> None:
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the whole group: no chance to finish anything."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)


class Server(_ProcessGroup):
    """`promoter serve` (granian WSGI) on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 4):
        self.env, self.log, self.workers, self.threads = env, log, workers, threads
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Server:
        command = [
            str(PROMOTER), "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--threads", str(self.threads),
        ]  # fmt: skip
        self._spawn(command, self.env, self.log)
        wait_until(self.ready, timeout=timeout, what=f"promoter serve on port {self.port}")
        return self

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"promoter serve exited: {self.log.read_text()[-3000:]}")
        if len(self.worker_pids()) < self.workers:
            return False
        try:
            return call(self.port, "GET", "/healthz", timeout=2)[0] == 200
        except (OSError, http.client.HTTPException):
            return False

    def worker_pids(self) -> list[int]:
        """Return the pids of granian's worker processes (the ones serving requests)."""
        assert self.process is not None
        return children(self.process.pid)


class Worker(_ProcessGroup):
    """`promoter worker`: tasks from the database queue and the outbox sweep."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        command = [str(PROMOTER), "worker", "--interval", "0.2", "--sweep-interval", "0.5"]
        self._spawn(command, self.env, self.log)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class PrivatePostgres:
    """A PostgreSQL 15 server of the test's own, in a temporary directory, on a free port:
    the only kind a test may restart or kill (never the shared one on port 5432)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="promoter-pg-"))
        self.data = self.dir / "data"
        self.logfile = self.dir / "postgres.log"
        self.port = free_port()
        self.started = False
        if os.geteuid() == 0:  # initdb refuses root: run the server as postgres
            shutil.chown(self.dir, user="postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = []

    def _run(self, *args: str, timeout: float = 120) -> None:
        # Output to a file, not a pipe: a server that pg_ctl starts would inherit the pipe and
        # keep it open, and reading it to the end would never finish.
        with tempfile.TemporaryFile() as out:
            done = subprocess.run(
                [*self.prefix, *args], stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                cwd=self.dir,
            )  # fmt: skip
            if done.returncode != 0:
                out.seek(0)
                text = out.read().decode(errors="replace")
                raise RuntimeError(f"{args[0]} failed: {text}\n{self.log()}")

    def log(self) -> str:
        try:
            return self.logfile.read_text()[-3000:]
        except (FileNotFoundError, PermissionError):
            return ""

    def start(self) -> PrivatePostgres:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-instructions")  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=100"
        )
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.logfile), "-w", "-t", "60", "start")  # fmt: skip
        self.started = True
        self.sql("CREATE DATABASE promoter")
        return self

    def restart(self, mode: str) -> None:
        """Restart the server (``fast``: clean; ``immediate``: like a crash, recovery on start)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-l",
                  str(self.logfile), "-w", "-t", "60", "restart")  # fmt: skip

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(Exception):
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")  # fmt: skip
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "promoter") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, query: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Run ``query`` (autocommit) and return its rows."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(query)
            return cursor.fetchall() if cursor.description else []


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        yield server.start()
    finally:
        server.stop()


def suite_database_url() -> str:
    """Return the URL of the test database the suite runs on (for processes it starts)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of a production process on ``database_url``: DEBUG off, private
    addresses allowed (the receivers run on 127.0.0.1), no ingest rate limit (the load comes
    from one address), quick retries."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "live-test-secret-" + "x" * 40),
        "INTEGRATIONS_ALLOW_PRIVATE_IPS": "true",
        "INGEST_RATE_LIMIT_PER_MINUTE": "0",
        "DELIVERY_RETRY_BASE_SECONDS": "1",
        "DELIVERY_LEASE_SECONDS": "5",
        "OUTBOUND_TIMEOUT_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.pop("TASKS_BACKEND", None)
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(PROMOTER), "migrate", "--noinput"], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed: {done.stderr[-3000:]}")


def seed(env: dict[str, str], *, webhook_url: str = "") -> dict[str, Any]:
    """Create a project (with its NPS survey) and an owner with a dashboard session; with
    ``webhook_url``, a webhook destination that receives every new response. Return the keys."""
    command = [str(PYTHON), "-m", "promoter.tests.live", "seed", webhook_url]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"seed failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _seed_main(webhook_url: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoter.settings")
    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from promoter.accounts.models import User
    from promoter.actions.projects import project_create
    from promoter.integrations.destinations import destination_create, rule_create
    from promoter.integrations.models import Event

    owner = User.objects.create_user("load@example.com", "load-test-password-1")
    project = project_create(owner=owner, name="Load", slug="load")
    survey = project.surveys.get()
    if webhook_url:
        destination = destination_create(
            project=project, kind="webhook", name="Receiver", data={"url": webhook_url}
        )
        rule_create(destination=destination, events=[Event.CREATED])
    session = SessionStore()
    session[SESSION_KEY] = str(owner.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    session.create()
    print(json.dumps({"key": project.public_key, "survey": str(survey.public_id),
                      "slug": project.slug, "session": session.session_key}))  # fmt: skip


def write_artifact(name: str, data: dict[str, Any]) -> Path:
    """Merge ``data`` into artifacts/``name`` (a JSON object per test) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    current: dict[str, Any] = {}
    with contextlib.suppress(FileNotFoundError, ValueError):
        current = json.loads(path.read_text())
    current.update(data)
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "seed":
        _seed_main(sys.argv[2] if len(sys.argv) > 2 else "")
    else:
        raise SystemExit("usage: python -m promoter.tests.live seed [webhook-url]")
