"""What the ingest API keeps in the shared cache, so a page view costs no database query.

Two kinds of entries, both checked against tokens (:mod:`promoter.core.tokencache`), so no
process ever serves one after a write committed in any other process:

- per public key, the project, its active surveys (oldest first) and whether it has active
  auto-tag or routing rules; its token is renewed when the project, a survey, an auto-tag rule,
  a routing rule or a destination is saved or deleted (the receivers below);
- per identity the widget sends, the person it resolves to and their contact history; its
  tokens (one per identifier, one per project) are renewed by every write of a person, a
  display, a response or a decline (:mod:`promoter.people.statecache`).

Only with a cache every process shares (Redis); otherwise every call reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from promoter.accounts.models import Project
from promoter.core import tokencache
from promoter.integrations.models import Destination, Rule
from promoter.integrations.registry import enabled_kinds
from promoter.people.models import EndUser
from promoter.people.services import Identity
from promoter.people.statecache import identifier_token_keys, project_token_key
from promoter.responses.models import AutoTagRule
from promoter.responses.selectors import ContactHistory
from promoter.surveys.models import Survey

CONFIG_TIMEOUT = 15 * 60
PERSON_TIMEOUT = 15 * 60


@dataclass(frozen=True)
class KeyConfig:
    """What a public key stands for: the project, its active surveys (oldest first), and
    whether responses need the slow path (auto-tag rules or routing rules to apply)."""

    project: Project
    surveys: tuple[Survey, ...]
    has_autotag_rules: bool
    has_routes: bool

    def survey(self, public_id: Any) -> Survey | None:
        """Return the active survey ``public_id``, or None."""
        wanted = str(public_id)
        return next((s for s in self.surveys if str(s.public_id) == wanted), None)


def _config_keys(key: str) -> tuple[str, str]:
    digest = tokencache.digest(key)
    return f"ingest:cfg:{digest}", f"ingest:ct:{digest}"


def _config_load(key: str, *, rules: bool) -> KeyConfig | None:
    """Read the configuration of ``key``: one query (two without an active survey), plus two
    to tell whether it has rules when ``rules`` (else it says it may have: look them up)."""
    surveys = list(
        Survey.objects.select_related("project")
        .filter(project__public_key=key, is_active=True)
        .order_by("created_at", "pk")
    )
    project = surveys[0].project if surveys else Project.objects.filter(public_key=key).first()
    if project is None:
        return None
    for survey in surveys:
        survey.project = project
    if not rules:
        return KeyConfig(project, tuple(surveys), has_autotag_rules=True, has_routes=True)
    return KeyConfig(
        project=project,
        surveys=tuple(surveys),
        has_autotag_rules=AutoTagRule.objects.filter(project=project, is_active=True).exists(),
        has_routes=Rule.objects.filter(
            project=project,
            is_active=True,
            destination__is_active=True,
            destination__kind__in=enabled_kinds(),
        ).exists(),
    )


# A project's pk for its public key never changes (keys are not reassigned), so each process
# remembers it: the person's entry, keyed by project pk, is then read with the configuration.
_PROJECT_IDS: dict[str, int] = {}


def config_for_key(key: str) -> KeyConfig | None:
    """Return what public ``key`` stands for (None: no such project), from the cache when on."""
    return lookup(key, None)[0]


def lookup(key: str, identity: Identity | None) -> tuple[KeyConfig | None, PersonLookup]:
    """Return what public ``key`` stands for and the lookup of ``identity``'s state in its
    project, read in one cache round trip once this process has seen the key."""
    if not tokencache.enabled():
        return _config_load(key, rules=False), PersonLookup(None, None)
    data_key, token_key = _config_keys(key)
    project_id = _PROJECT_IDS.get(key)
    entries: list[tuple[str, list[str]]] = [(data_key, [token_key])]
    person_keys: list[tuple[str, list[str]]] = []
    if project_id is not None and identity is not None:
        person_keys = _person_keys(project_id, identity)
        entries += person_keys
    found = tokencache.read_many(entries)
    cached, tokens, hit = found[0]
    if hit:
        config: KeyConfig | None = cached
    else:
        config = _config_load(key, rules=True)
        tokencache.write(data_key, config, tokens=tokens, timeout=CONFIG_TIMEOUT)
        if None in tokens:
            tokencache.mint([token_key], tokens)
    if config is None:
        return None, PersonLookup(None, None)
    _PROJECT_IDS[key] = config.project.pk
    if config.project.pk != project_id or identity is None:
        return config, PersonLookup(config.project.pk, identity)
    return config, PersonLookup(config.project.pk, identity, read=(person_keys, found[1:]))


def config_changed(*, project_id: int | None = None, public_key: str | None = None) -> None:
    """Make the cached configuration of a project stale once the transaction commits."""
    if not tokencache.enabled():
        return
    if public_key is None and project_id is not None:
        public_key = (
            Project.objects.filter(pk=project_id).values_list("public_key", flat=True).first()
        )
    if public_key:
        tokencache.renew([_config_keys(public_key)[1]])


@receiver([post_save, post_delete], sender=Project, dispatch_uid="ingest.cache.project")
def _project_changed(sender: type[Model], instance: Project, **kwargs: Any) -> None:
    config_changed(public_key=instance.public_key)


@receiver([post_save, post_delete], sender=Survey, dispatch_uid="ingest.cache.survey")
@receiver([post_save, post_delete], sender=AutoTagRule, dispatch_uid="ingest.cache.autotag")
@receiver([post_save, post_delete], sender=Rule, dispatch_uid="ingest.cache.rule")
@receiver([post_save, post_delete], sender=Destination, dispatch_uid="ingest.cache.destination")
def _setting_changed(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    config_changed(project_id=instance.project_id)


# --- people -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonState:
    """The person an identity resolves to (None: not known yet) and their contact history."""

    person: EndUser | None
    history: ContactHistory


def _person_keys(project_id: int, identity: Identity) -> list[tuple[str, list[str]]]:
    """Return the entries of ``identity``'s state: the person, then their contact history."""
    signature = tokencache.digest(
        "\x1f".join(
            (
                identity.external_id or "",
                identity.email or "",
                "" if identity.identified else identity.anonymous_id or "",
            )
        )
    )
    anonymous_id = None if identity.identified else identity.anonymous_id
    person_tokens = [project_token_key(project_id)]
    person_tokens += identifier_token_keys(
        project_id,
        external_id=identity.external_id,
        email=identity.email,
        anonymous_id=anonymous_id,
    )
    history_tokens = identifier_token_keys(
        project_id,
        external_id=identity.external_id,
        email=identity.email,
        anonymous_id=anonymous_id,
        history=True,
    )
    return [
        (f"ingest:pp:{project_id}:{signature}", person_tokens),
        (f"ingest:ph:{project_id}:{signature}", person_tokens + history_tokens),
    ]


Found = tuple[Any, tokencache.Tokens, bool]


class PersonLookup:
    """A read of one identity's state: :meth:`person` or :meth:`get`, then :meth:`store` what
    the database said when it was a miss (tokens are read before the database, see
    tokencache). The person and their history are cached apart: a display, response or
    decline makes only the history stale."""

    def __init__(
        self,
        project_id: int | None,
        identity: Identity | None,
        *,
        read: tuple[list[tuple[str, list[str]]], list[Found]] | None = None,
    ) -> None:
        self.on = tokencache.enabled() and project_id is not None and identity is not None
        self._entries: list[tuple[str, list[str]]] = []
        self._found: list[Found] = []
        if read is not None:
            self._entries, self._found = read
        elif self.on and project_id is not None and identity is not None:
            self._entries = _person_keys(project_id, identity)

    def _read(self) -> None:
        if self.on and not self._found:
            self._found = tokencache.read_many(self._entries)

    def person(self) -> EndUser | None:
        """Return the cached person, or None on a miss."""
        self._read()
        if not self.on or not self._found[0][2]:
            return None
        person: EndUser = self._found[0][0]
        return person

    def get(self) -> PersonState | None:
        """Return the cached person and history, or None on a miss of either."""
        person = self.person()
        if person is None or not self._found[1][2]:
            return None
        return PersonState(person, self._found[1][0])

    @property
    def unseen(self) -> bool:
        """Whether none of the identity's identifiers has a person token, so no process has
        seen them lately: they are most likely a new person (a guess; nothing relies on it)."""
        self._read()
        if not self.on:
            return False
        _value, tokens, _hit = self._found[0]
        return all(token is None for token in tokens[1:])  # the first is the project's

    def store(self, state: PersonState) -> None:
        """Cache ``state`` of a known person; a new one is stored on a later call (creating
        them renews their tokens, which would make this entry stale at once)."""
        self._store((state.person, state.history))

    def store_person(self, person: EndUser | None) -> None:
        """Cache the known ``person`` alone (a display, response or decline, which does not
        read their history), so that the next call of this identity need not look them up."""
        self._store((person,))

    def _store(self, values: tuple[Any, ...]) -> None:
        if not self.on or values[0] is None:
            return
        for (data_key, token_keys), (_value, tokens, hit), value in zip(
            self._entries, self._found, values, strict=False
        ):
            if hit:
                continue
            if None in tokens:
                tokencache.mint(token_keys, tokens)
            else:
                tokencache.write(data_key, value, tokens=tokens, timeout=PERSON_TIMEOUT)
