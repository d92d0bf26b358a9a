"""Rows per second of ``promoter import`` on PostgreSQL: a generated Delighted-style CSV of
``--rows`` rows (people repeat, a third with comments, two properties), imported into a fresh
database by the real command, ``--rounds`` times (a fresh database each round), on each path:
``bulk`` (the role may set session_replication_role: the benchmark connects as the server's
superuser) and ``triggers`` (IMPORT_BULK_LOAD=false, what a role without that privilege gets).
Rounds alternate between the paths, so both see the same machine.

Prints JSON on stdout (progress on stderr); redirect it to keep a copy.
Usage: python bench/import.py [--rows 1000000] [--rounds 3] [--paths bulk,triggers] [--sentiment]
                             [--database promoter_bench_import]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "promoter_bench_import"
COMMENTS = ("Exports are slow", "Love the reports", "Too expensive for us", "Support was great")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    start = 1_735_689_600  # 2025-01-01
    with path.open("w") as out:
        out.write("Response ID,Email,Score,Comment,Response Timestamp,Plan,Country\n")
        for i in range(rows):
            person = rng.randrange(rows // 4 + 1)
            comment = rng.choice(COMMENTS) if i % 3 == 0 else ""
            out.write(
                f"r-{i},p{person}@example.com,{rng.randrange(11)},{comment},"
                f"{start + i * 20},{rng.choice(('free', 'pro', 'enterprise'))},"
                f"{rng.choice(('US', 'FR', 'DE'))}\n"
            )


def _server_settings() -> dict[str, str]:
    import psycopg

    names = ("server_version", "shared_buffers", "max_wal_size", "synchronous_commit")
    with psycopg.connect(f"{POSTGRES_URL}/postgres") as conn:
        return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON), "-m", "promoter.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sentiment", action="store_true", help="score comments too")
    parser.add_argument("--paths", default="bulk,triggers", help="bulk, triggers or both")
    parser.add_argument(
        "--database", default=POSTGRES_DB, help="created, then dropped (default: %(default)s)"
    )
    # Kept so that old command lines still work: nothing is written anywhere now.
    parser.add_argument("--no-save", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores only")
    database = args.database
    env = {
        **os.environ,
        "DATABASE_URL": f"{POSTGRES_URL}/{database}",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 40,
        "LOG_LEVEL": "ERROR",
    }
    rounds = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "delighted.csv"
            log(f"writing {args.rows:,} rows")
            write_csv(path, args.rows)
            size = path.stat().st_size
            paths = [p for p in args.paths.split(",") if p]
            for i in range(args.rounds):
                for path_name in paths:
                    # A fresh database each round: every round imports into an empty
                    # installation, not into the rounds before it (the same file's rows,
                    # interleaved in every index by their times).
                    postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                    postgres(f'CREATE DATABASE "{database}"')
                    run(env, "migrate", "-v", "0")
                    postgres("CHECKPOINT")
                    slug = f"bench{i}{path_name[0]}"
                    run(
                        {**env, "PROMOTER_PASSWORD": "x" * 16},
                        "createuser",
                        f"{slug}@example.com",
                        "--project",
                        slug,
                    )
                    load = os.getloadavg()[0]
                    started = time.perf_counter()
                    extra = [] if args.sentiment else ["--no-sentiment"]
                    bulk = "true" if path_name == "bulk" else "false"
                    out = run(
                        {**env, "IMPORT_BULK_LOAD": bulk},
                        "import",
                        str(path),
                        "--project",
                        slug,
                        *extra,
                    ).stdout
                    elapsed = time.perf_counter() - started
                    rate = args.rows / elapsed
                    log(
                        f"round {i + 1} {path_name}: {elapsed:.1f} s, {rate:,.0f} rows/s"
                        f" ({out.strip()})"
                    )
                    rounds.append(
                        {
                            "path": path_name,
                            "seconds": round(elapsed, 1),
                            "rows_per_second": round(args.rows / elapsed),
                            "load_average_before": round(load, 2),
                        }
                    )
    finally:
        postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report = {
        "benchmark": "import",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "rows": args.rows,
            "file_bytes": size,
            "database": "PostgreSQL",
            "sentiment": args.sentiment,
            "note": "the whole `promoter import` process: start, read, check, insert",
            "postgres": _server_settings(),
        },
        "results": {
            **{
                name: {
                    "seconds_median": statistics.median(r["seconds"] for r in of),
                    "rows_per_second_median": statistics.median(r["rows_per_second"] for r in of),
                    "seconds_range": [min(r["seconds"] for r in of), max(r["seconds"] for r in of)],
                }
                for name in paths
                if (of := [r for r in rounds if r["path"] == name])
            },
            "rounds": rounds,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
