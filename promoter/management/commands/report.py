from __future__ import annotations

import csv
import datetime
import json
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from promoter.accounts.models import Project
from promoter.analytics import metrics
from promoter.analytics.figures import overview_figure
from promoter.analytics.filters import answers_check, answers_parse, conditions_parse
from promoter.analytics.selectors import ResponseFilter, histograms_by_property
from promoter.core.inputs import text_problem
from promoter.core.spreadsheets import csv_safe
from promoter.surveys.models import Survey
from promoter.surveys.selectors import survey_questions_published

_RELATIVE = re.compile(r"^(\d+)([dwmy])$")
_UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}
NAMES = {"nps": "nps", "csat": "csat", "ces": "ces"}


def parse_moment(text: str, *, now: datetime.datetime, option: str) -> datetime.datetime:
    """Return ``90d`` (90 days ago), ``12w``, ``6m``, ``1y`` or a YYYY-MM-DD date (UTC)."""
    match = _RELATIVE.match(text.strip())
    if match:
        return now - datetime.timedelta(days=int(match.group(1)) * _UNITS[match.group(2)])
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"{option} {text!r}: write a duration like 90d, 12w, 6m, 1y or a date YYYY-MM-DD"
        ) from None
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=datetime.UTC)


def row(label: str, summary: metrics.Summary) -> dict[str, Any]:
    """Return one report line: the score (under its kind's name), interval and counts."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {
        "group": label,
        NAMES[summary.kind]: rounded(summary.score),
        "low": rounded(summary.low),
        "high": rounded(summary.high),
        "n": summary.n,
        "promoters": summary.promoters,
        "passives": summary.passives,
        "detractors": summary.detractors,
        "small_sample": summary.small_sample,
    }


class Command(BaseCommand):
    help = (
        "Print a survey's score with its 95% interval, overall and by a property, as the"
        " dashboard computes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="the project's slug")
        parser.add_argument(
            "--survey", help="survey id, or nps/csat/ces (default: the project's first survey)"
        )
        parser.add_argument("--since", default="90d", help="90d, 12w, 6m, 1y or YYYY-MM-DD")
        parser.add_argument("--until", help="YYYY-MM-DD (default: now)")
        parser.add_argument("--by", help="a property to break the score down by, e.g. plan")
        parser.add_argument(
            "--where", action="append", default=[], help="a filter like plan:eq:pro (repeatable)"
        )
        parser.add_argument(
            "--answer",
            action="append",
            default=[],
            help="a filter on an answer like fix:in:performance or setup:gte:4 (repeatable)",
        )
        parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
        parser.add_argument("--top", type=int, default=20, help="property values to list")

    def handle(self, *args: Any, **options: Any) -> None:
        for option in ("project", "survey", "by"):
            # Bytes that are not UTF-8 arrive as lone surrogates, which no database takes.
            problem = text_problem(options.get(option) or "")
            if problem is not None:
                raise CommandError(f"--{option} {options[option]!r} {problem}")
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project {options['project']!r}: see `promoter report --help`")
        survey = self._survey(project, options.get("survey"))
        now = timezone.now()
        since = parse_moment(options["since"], now=now, option="--since")
        until = (
            parse_moment(options["until"], now=now, option="--until") + datetime.timedelta(days=1)
            if options.get("until")
            else now
        )
        if since >= until:
            raise CommandError("--since must be before --until")
        try:
            conditions = conditions_parse(options["where"])
        except ValueError as exc:
            raise CommandError(f"--where {exc}") from None
        try:
            answers = answers_parse(options["answer"])
            if answers:
                answers_check(answers, survey_questions_published(survey=survey))
        except ValueError as exc:
            raise CommandError(f"--answer {exc}") from None
        flt = ResponseFilter(
            survey=survey, since=since, until=until, conditions=conditions, answers=answers
        )
        rows = [row("(all)", overview_figure(project=project, flt=flt).summary)]
        if options.get("by") is not None:  # the empty name is a property name too
            groups = histograms_by_property(
                project=project, flt=flt, name=options["by"], top=options["top"]
            )
            rows += [row(value, metrics.summarize(survey.kind, bins)) for value, bins in groups]
        self._print(rows, survey, options, since, until)

    def _survey(self, project: Project, wanted: str | None) -> Survey:
        surveys = Survey.objects.filter(project=project).order_by("created_at", "pk")
        if not wanted:
            survey = surveys.first()
        elif wanted in NAMES:
            survey = surveys.filter(kind=wanted).first()
        else:
            survey = next((s for s in surveys if str(s.public_id) == wanted), None)
        if survey is None:
            raise CommandError(f"no survey {wanted or ''!r} in project {project.slug!r}".strip())
        return survey

    def _print(
        self,
        rows: list[dict[str, Any]],
        survey: Survey,
        options: dict[str, Any],
        since: datetime.datetime,
        until: datetime.datetime,
    ) -> None:
        out = self.stdout
        if options["format"] == "json":
            document = {
                "project": options["project"],
                "survey": {"id": str(survey.public_id), "name": survey.name, "kind": survey.kind},
                "since": since.isoformat(),
                "until": until.isoformat(),
                "by": options.get("by"),
                "where": options["where"],
                "confidence": 0.95,
                "rows": rows,
            }
            out.write(json.dumps(document, indent=2))
            return
        if options["format"] == "csv":
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            # Group names are people's property values: keep them from running as formulas.
            writer.writerows(
                {k: csv_safe(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in rows
            )
            return
        kind = survey.kind
        out.write(
            f"{survey.name} ({kind.upper()}), {since:%Y-%m-%d} to {until:%Y-%m-%d}, 95% intervals"
        )
        header = f"{'group':<28} {kind.upper():>7} {'interval':>17} {'n':>8}  P / P / D"
        out.write(header)
        out.write("-" * len(header))
        for line in rows:
            score = line[kind]
            shown = "-" if score is None else f"{score:+.1f}" if kind == "nps" else f"{score:.1f}"
            interval = "" if line["low"] is None else f"{line['low']:.1f} to {line['high']:.1f}"
            flag = "  (n < 30)" if line["small_sample"] and line["n"] else ""
            counts = f"{line['promoters']} / {line['passives']} / {line['detractors']}"
            out.write(
                f"{str(line['group'])[:28]:<28} {shown:>7} {interval:>17} {line['n']:>8}  "
                f"{counts}{flag}"
            )
        sys.stdout.flush()
