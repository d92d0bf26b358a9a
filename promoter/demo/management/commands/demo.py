from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from promoter.accounts.models import Membership, Project, Role, User
from promoter.actions.projects import project_create
from promoter.checks import configuration_warnings
from promoter.demo.constants import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_PROJECT_NAME,
    DEMO_PROJECT_SLUG,
)
from promoter.management.commands.serve import serve


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use: stop what runs there or pass --port"
                ) from None
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def demo_setup(*, responses: int, seed: int, stdout: Any) -> Project:
    """Create the demo login and project and seed it once; later runs reuse them as they are."""
    from promoter.demo.seed import seed_project
    from promoter.responses.models import Response

    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, first_name="Demo")
    project = Project.objects.filter(slug=DEMO_PROJECT_SLUG).first()
    if project is None:
        project = project_create(owner=user, name=DEMO_PROJECT_NAME, slug=DEMO_PROJECT_SLUG)
    Membership.objects.get_or_create(user=user, project=project, defaults={"role": Role.OWNER})
    if Response.objects.filter(project=project).exists():
        stdout.write(f"Demo data already loaded in {project.name!r}: not seeding again.")
        return project

    def advance(n: int) -> None:
        bar.update(n)

    with (
        tqdm(total=responses, desc="Seeding demo responses", unit="resp", file=sys.stderr) as bar,
        transaction.atomic(),
    ):
        result = seed_project(project=project, responses=responses, seed=seed, progress=advance)
    stdout.write(
        f"Seeded {result.responses:,} responses from {result.end_users:,} people"
        f" ({result.displays:,} displays, {result.declines:,} declines,"
        f" {result.answers:,} answers to additional questions)."
    )
    demo_sentiment(project=project)
    return project


def demo_sentiment(*, project: Project) -> int:
    """Score the sentiment of the demo comments (the ingest path does it on write)."""
    from promoter.responses.models import Response
    from promoter.text.sentiment import sentiment_many

    rows = list(Response.objects.filter(project=project).exclude(comment="").only("id", "comment"))
    for row, value in zip(rows, sentiment_many(r.comment for r in rows), strict=True):
        row.sentiment = value
    Response.objects.bulk_update(rows, ["sentiment"], batch_size=2000)
    return len(rows)


class Command(BaseCommand):
    help = (
        "Run the demo: migrate the embedded database, load demo data once, create the demo login,"
        " run a task worker and serve on http://127.0.0.1:8000."
    )
    requires_migrations_checks = False

    def check(self, *args: Any, **kwargs: Any) -> None:
        # The demo is a server: it shows the configuration warnings too (promoter/checks.py).
        with configuration_warnings():
            super().check(*args, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--responses", type=int, default=20_000, help="demo responses to seed")
        parser.add_argument("--seed", type=int, default=42, help="random seed of the demo data")
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare the data and login, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if options["responses"] < 1:
            raise CommandError("--responses must be at least 1")
        if not options["no_serve"]:
            ensure_port_free(host, port)
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        project = demo_setup(
            responses=options["responses"], seed=options["seed"], stdout=self.stdout
        )
        url = f"http://{host}:{port}"
        banner = (
            f"\n  Promoter demo: {url}/\n"
            f"  Log in as {DEMO_EMAIL} with password {DEMO_PASSWORD}\n"
            f"  Project: {project.name} ({url}/p/{project.slug}/)\n"
        )
        self.stdout.write(self.style.SUCCESS(banner))
        if options["no_serve"]:
            return
        worker = subprocess.Popen(
            [sys.executable, "-m", "promoter.cli", "worker", "--interval", "2"],
            env=os.environ.copy(),
        )
        try:
            serve(host=host, port=port, workers=1, threads=4)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
