"""Page targeting: on which pages of the app a survey may be shown. Pure functions.

A survey's ``pages`` holds two lists of rules, ``include`` and ``exclude``; each rule is an
operator and a path pattern::

    {"include": [{"op": "matches", "value": "/billing/*"}],
     "exclude": [{"op": "equals", "value": "/billing/cancel"}]}

A rule reads the path of the page's address: not its host, query or fragment, percent-decoded,
case-sensitive (as paths are), a trailing ``/`` ignored (``/billing/`` is ``/billing``).

- ``equals``: the path is the pattern.
- ``contains``: the pattern is part of the path.
- ``matches``: the path is the pattern, where ``*`` stands for any run of characters, ``/``
  included, or none (``/projects/*/settings``, ``/docs*``).

No include rule: every page; else at least one must hold. An exclude rule that holds wins over
every include rule. A page whose address is unknown (an API call without ``url``) passes only a
survey with no include rule. Pages concern the in-app channels only (e-mail and link surveys
have no page of the app). :func:`page_check` is the eligibility rule; :func:`parse_line` and
:func:`render_line` are the dashboard's one-rule-per-line text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

OPS = ("equals", "contains", "matches")
LISTS = ("include", "exclude")
MAX_RULES = 50  # per list
MAX_PATTERN = 500  # characters


@dataclass(frozen=True)
class PageRule:
    op: str
    value: str

    def describe(self) -> str:
        return f"{self.op} {self.value}"

    def holds(self, path: str) -> bool:
        """Whether the rule holds on ``path`` (as :func:`path_of` gives it)."""
        pattern = unquote(self.value)  # "/caf%C3%A9" and "/café" are one page
        if self.op == "equals":
            return path == _normal(pattern)
        if self.op == "contains":
            return pattern in path
        return _wildcard(_normal(pattern)).fullmatch(path) is not None


@dataclass(frozen=True)
class Pages:
    include: tuple[PageRule, ...] = ()
    exclude: tuple[PageRule, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def as_data(self) -> dict[str, list[dict[str, str]]]:
        return {
            name: [{"op": r.op, "value": r.value} for r in getattr(self, name)]
            for name in LISTS
            if getattr(self, name)
        }


def _normal(path: str) -> str:
    """Return ``path`` as rules compare it: a trailing ``/`` dropped, except the root's."""
    return path.rstrip("/") or "/"


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def path_of(url: str) -> str | None:
    """Return the path of page address ``url`` as rules read it, or None when it has none
    (empty, or not an address)."""
    url = (url or "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None  # an app's own scheme, about:blank: no path of the app to read
    path = parts.path if (parts.scheme or url.startswith("/")) else "/" + parts.path
    return _normal(unquote(path))


def rule_problem(op: Any, value: Any) -> str | None:
    """Return what is wrong with a rule, said for people, or None."""
    if op not in OPS:
        return f"the operator must be one of {', '.join(OPS)}"
    if not isinstance(value, str) or not value.strip():
        return "a rule needs a path"
    if len(value) > MAX_PATTERN:
        return f"a path has at most {MAX_PATTERN} characters"
    if value != value.strip():
        return "a path has no spaces around it"
    if "?" in value or "#" in value:
        return "rules read the page's path: leave out the ?query and the #fragment"
    if op != "contains" and not value.startswith("/"):
        return "a path starts with / (or write the page's whole address)"
    return None


def pattern_of(text: str) -> str:
    """Return the path pattern someone wrote: the path of a whole address
    (``https://app.example.com/billing`` is ``/billing``), else the text as it is."""
    text = text.strip()
    if re.match(r"^https?://", text, re.IGNORECASE):
        parts = urlsplit(text)
        if parts.query or parts.fragment:
            return text  # refused by rule_problem, which names the query
        return parts.path or "/"
    return text


def pages_from(data: Any) -> Pages:
    """Return the page rules of a survey's stored ``pages`` (bad entries are left out: the
    forms that store them refuse them first)."""
    if not isinstance(data, Mapping):
        return Pages()
    lists: dict[str, tuple[PageRule, ...]] = {}
    for name in LISTS:
        rules = data.get(name) or []
        lists[name] = tuple(
            PageRule(str(r["op"]), str(r["value"]))
            for r in (rules if isinstance(rules, Sequence) else [])
            if isinstance(r, Mapping) and rule_problem(r.get("op"), r.get("value")) is None
        )
    return Pages(**lists)


def page_check(pages: Pages, url: str) -> tuple[bool, str]:
    """Return whether a survey with ``pages`` may be shown on the page at ``url``, and why."""
    if not pages:
        return True, "no page conditions"
    path = path_of(url)
    if path is None:
        if pages.include:
            return False, "the page is unknown (no url was sent), and the survey names pages"
        return True, "the page is unknown (no url was sent); no page is required"
    excluded = next((r for r in pages.exclude if r.holds(path)), None)
    if excluded is not None:
        return False, f"on {path}: excluded by “{excluded.describe()}”"
    if not pages.include:
        return True, f"on {path}: not excluded"
    included = next((r for r in pages.include if r.holds(path)), None)
    if included is None:
        listed = "; ".join(r.describe() for r in pages.include)
        return False, f"on {path}: not one of the survey's pages ({listed})"
    return True, f"on {path}: “{included.describe()}”"


def parse_line(line: str) -> PageRule:
    """Return the rule one line of the dashboard's text says: ``[equals|contains|matches]
    path``. Without an operator, a path with ``*`` matches, any other equals. Raises
    ValueError saying what is wrong."""
    head, _space, rest = line.strip().partition(" ")
    if head in OPS:
        op, text = head, rest
    else:
        op, text = ("matches" if "*" in line else "equals"), line
    value = pattern_of(text)
    problem = rule_problem(op, value)
    if problem is not None:
        raise ValueError(problem)
    return PageRule(op, value)


def render_line(rule: PageRule) -> str:
    """Return ``rule`` as the line :func:`parse_line` reads back as the same rule."""
    implied = "matches" if "*" in rule.value else "equals"
    return rule.value if rule.op == implied else rule.describe()


def parse_lines(text: str) -> tuple[PageRule, ...]:
    """Return the rules of ``text``, one a line (blank lines and ``#`` comments skipped).
    Raises ValueError naming the first line that is wrong."""
    rules: list[PageRule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            rules.append(parse_line(line))
        except ValueError as exc:
            raise ValueError(f"Line {number} ({line!r}): {exc}.") from None
    if len(rules) > MAX_RULES:
        raise ValueError(f"At most {MAX_RULES} rules.")
    return tuple(rules)
