"""The read-replica router against a real PostgreSQL hot standby (`make test-long`).

A private primary and a streaming standby of it (pg_basebackup), migrated on the primary only;
then, in a process configured with DATABASE_URL and DATABASE_REPLICA_URL, the dashboard reads
its figures on the standby, nothing ever writes there (a standby refuses writes, and its log
would say so), and with the standby's replay paused, so that it lags by a known write, an API
key reads its own write while another key still reads the replica's older figure.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from promoter.tests.live import PG_BIN, PYTHON, ROOT, PrivatePostgres, base_env, free_port, migrate

pytestmark = pytest.mark.long


class Standby:
    """A hot standby of ``primary``, streaming from it, on a free port of 127.0.0.1."""

    def __init__(self, primary: PrivatePostgres) -> None:
        self.primary = primary
        self.data = primary.dir / "standby"
        self.logfile = primary.dir / "standby.log"
        self.port = free_port()

    def start(self) -> Standby:
        run = self.primary._run
        run(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary.port),
            "-U", "postgres", "-D", str(self.data), "-R", "--checkpoint=fast")  # fmt: skip
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.primary.dir}"
        run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
            str(self.logfile), "-w", "-t", "60", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        run = self.primary._run
        run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/promoter"

    def log(self) -> str:
        return self.logfile.read_text(errors="replace")


@pytest.fixture
def primary_and_standby() -> Iterator[tuple[PrivatePostgres, Standby]]:
    primary = PrivatePostgres()
    standby: Standby | None = None
    try:
        primary.start()
        standby = Standby(primary).start()
        yield primary, standby
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


def test_the_dashboard_reads_a_real_standby_and_writers_read_their_writes(
    primary_and_standby, tmp_path: Path
):
    primary, standby = primary_and_standby
    env = base_env(
        primary.url(),
        DATABASE_REPLICA_URL=standby.url(),
        PROMOTER_DATA_DIR=str(tmp_path),
        ALLOWED_HOSTS="testserver,127.0.0.1",
        EMAIL_URL="memory://",
    )
    env.pop("REDIS_URL", None)  # one process: its own memory cache holds the API key's pin
    migrate(env)  # on the primary only; the standby gets the tables by replication
    done = subprocess.run(
        [str(PYTHON), "-m", "promoter.core.tests.standby"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["overview_status"] == 200
    assert seen["overview_replica_queries"] > 0  # the figures came from the standby
    assert seen["api_write_status"] == 201
    assert seen["writer_reads_n"] == 21  # its own write, through the pin, from the primary
    assert seen["other_key_reads_n"] == 20  # the standby, paused one write behind
    assert seen["after_post_status"] == 200
    assert seen["after_post_replica_queries"] == 0  # a form post pins the browser
    assert seen["other_key_reads_n_after_replay"] == 21
    # Nothing tried to write on the standby (it would have refused, and logged an ERROR).
    assert "ERROR" not in standby.log(), standby.log()[-3000:]
    assert os.path.isdir(standby.data)
