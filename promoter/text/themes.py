"""Discover the recurring themes of a set of comments, on CPU, in pure Python.

A theme is a short list of key phrases that people use about one thing ("price", "per seat",
"expensive"), the comments that mention any of them, and a few example comments. The method:

1. **Tokens.** Unicode words, lower-cased, reduced to their stem by the Snowball English stemmer
   ("pricing", "prices" and "priced" all become "price") so that a theme is not split by word
   forms. Comments are cut into clauses at punctuation: a phrase never straddles two.
2. **Candidates.** Phrases of one to three words that neither start nor end with a stopword
   (English, and short French, German and Spanish lists) and hold at least one word that is
   not a generic feedback word ("great", "product", "team", "time"). Document frequency is
   counted once per comment.
3. **Score.** Frequency times informativeness: how far the words of the comments that use a
   phrase are from the words of all comments (Kullback-Leibler divergence). A topical phrase
   ("slack") comes with its own vocabulary ("channel", "notification"); a phrase that people
   use about everything has a context that looks like the whole corpus and scores low.
4. **Heads.** In score order, a phrase starts a new theme when its comments overlap little with
   those of the heads already chosen (both ways), so two heads are two different things.
5. **Expansion.** Every other candidate joins the theme that most of its comments are already
   about: among its comments that some *other* phrase assigns to a theme, at least half must be
   in that one theme, and they must be at least 30 % of all its comments. So a phrase that
   comes with "support" ("ticket") joins the support theme, while one that comes with
   everything does not. Two rounds let later heads collect their phrases too. A phrase that
   adds (almost) no comment to its theme is left out to keep the rule short.
6. **Membership.** A theme's comments are exactly those that mention one of its phrases, by the
   same test as ``matches_theme``: a theme turns into an auto-tag rule that tags the same
   comments. Themes that mostly overlap are merged, the smallest are dropped, and the best
   ``max_themes`` (by score) are returned, biggest first.

Deterministic: ties are broken by phrase text and by input order, never by hash order.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer

__all__ = ["Theme", "discover_themes", "matches_theme", "phrase_keys"]


@dataclass(frozen=True)
class Theme:
    """A recurring theme of a set of comments.

    ``phrases`` are the key phrases in the form people wrote most; a comment is in the theme
    when ``matches_theme(text, phrases)``, which compares word stems. ``variants`` are all the
    forms the phrases take in the theme's comments ("price", "prices", "pricing"), most
    frequent first: a plain word-boundary matcher given them finds (nearly) the same comments.
    ``comment_ids`` keep the input order; ``size`` is their number; ``examples`` are a few
    representative comment texts.
    """

    name: str
    phrases: list[str]
    comment_ids: list[Any]
    size: int
    examples: list[str]
    variants: list[str] = field(default_factory=list)


# fmt: off
_STOPWORDS_EN = """
a about above across after afterwards again against all almost alone along already also although
always am among an and another any anybody anyhow anyone anything anyway anywhere are aren't
around as at away back be became because become becomes been before behind being below beside
besides between beyond both but by can can't cannot could couldn't did didn't do does doesn't
doing don't done down during each either else enough especially etc even ever every everybody
everyone everything everywhere except few for from further furthermore get gets getting got
gotten had hadn't has hasn't have haven't having he he's her here here's hers herself him
himself his how however i i'd i'll i'm i've ie if in indeed instead into is isn't it it'd it'll
it's its itself just keep keeps kept least less let let's lets like likely made make makes making
many may maybe me meanwhile might mine more moreover most mostly much must my myself namely near
need needed needs neither never nevertheless next no nobody none nor not nothing now nowhere of
off often oh ok okay on once one ones only onto or other others otherwise ought our ours
ourselves out over own per perhaps please pls pretty probably quite rather re really regarding
same say says see seem seemed seems seen several shall she she's should shouldn't since so some
somebody somehow someone something sometimes somewhat soon still such sure than that that's the
their theirs them themselves then there there's thereby therefore these they they'd they'll
they're they've this those though through throughout thus to together too toward towards under
unless unlike until up upon us use used uses using usually very via want wanted wants was wasn't
way we we'd we'll we're we've well went were weren't what what's whatever when whenever where
where's whereas wherever whether which while who who's whoever whole whom whose why will with
within without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
yourselves
dont doesnt didnt cant wont isnt arent wasnt werent im ive id youre theyre thats whats
actually absolutely basically certainly completely definitely easily exactly finally fully
generally genuinely greatly highly honestly hopefully literally mainly nearly obviously
particularly quickly simply slightly surely totally truly barely hardly
"""

_STOPWORDS_FR = """
à au aux avec ce ceci cela ces cet cette c'est ça car dans de des du d'un d'une donc dont elle
elles en encore est et été être fait faire il ils je j'ai la le les leur leurs lui mais me même
mes moi mon ne n'est ni nos notre nous on ont ou où par pas peu plus pour qu'il que quel quelle
qui sa sans se ses si son sont sur ta te tes toi ton tous tout toute toutes très trop tu un une
vos votre vous y qu'on s'y d'être bien aussi déjà vraiment
mise jour nouveau nouvelle nouvelles nouveaux dernier dernière depuis chaque fois
"""

_STOPWORDS_DE = """
aber als am an auch auf aus bei bin bis bist da dann das dass dem den der des die dies diese
dieser doch du durch ein eine einem einen einer eines er es etwas für gibt hat hatte haben habe
hier ich ihr im immer in ist ja jede jeder jetzt kann kein keine keinen man mehr mein meine mich
mir mit muss nach nicht noch nur oder schon sehr sein seine sich sie sind so über um und uns
unser unsere vom von vor war waren was weil wenn wie wieder wir wird werden wurde zu zum zur
ganz viel viele seit wirklich
neu neue neuen neues letzten letzte jedes mal
"""

_STOPWORDS_ES = """
a al algo algunos ante con como cuando de del desde donde el él ella ellos en entre era es esa
ese eso esta está están este esto estos fue ha han hay la las le les lo los más me mi mis mucho
muy nada ni no nos nuestro nuestra o otra otro para pero poco por porque que qué se ser si sí
sin sobre son su sus también te tiene tienen todo todos tu un una uno unos y ya
nuevo nueva nuevos nuevas última último cada vez desde
"""

# Words that feedback about anything uses: alone they name no theme, though a phrase may hold
# one ("mobile app", "support team"). Praise and blame words are here: sentiment is a separate
# measure, and a theme is what people talk about, not how they feel about it.
_GENERIC = """
good great nice best better love loved loves like liked awesome amazing excellent fantastic
perfect super cool fine happy glad bad worse worst terrible awful horrible poor disappointed
disappointing frustrating annoying useful useless helpful solid decent okay
thanks thank thx cheers wow
product products tool tools app apps application software platform solution system
company team teams people person everyone colleagues colleague users user customer customers
time times day days week weeks month months year years today yesterday morning afternoon
hour hours minute minutes second seconds moment while
work works working worked job stuff issue issues problem problems thing things
new old last first next big small little large huge real actual whole entire
recommend recommended overall honest short version general right wrong
lot lots bit kind sort part
add added adding able come comes coming go goes going know knew take takes took taken give
gives gave find found feel feels felt look looks looked show shows try tried tell told think
thought seem ask asked
two three four five six seven eight ten twenty hundred thousand half
open update updates updated
"""
# fmt: on

_WORD = re.compile(r"\w+(?:'\w+)*")
# Clause boundaries: a phrase never straddles one.
_CLAUSE = re.compile(
    "[.!?;:,()\\[\\]{}\"\u201c\u201d\u00ab\u00bb\u201e\u2026\n\r\t/|\u2022\u00b7\u2013\u2014]+|\\s-+\\s|\\s'|'\\s"
)
_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def _key(word: str) -> str:
    """Return the matching key of a lower-cased word: its English stem."""
    return _STEMMER.stemWord(word)  # type: ignore[no-any-return]


def _keys_of(words: str) -> frozenset[str]:
    return frozenset(_key(w) for w in words.split())


_STOP_KEYS = _keys_of(_STOPWORDS_EN + _STOPWORDS_FR + _STOPWORDS_DE + _STOPWORDS_ES)
# A generic word's stem may be a topical word's too ("use" of "useful"): both are kept out.
_GENERIC_KEYS = _keys_of(_GENERIC) - _STOP_KEYS


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")


def _clauses(text: str) -> list[list[str]]:
    """Return the matching keys of ``text``'s words, one list per clause."""
    out = []
    for clause in _CLAUSE.split(_normalize(text)):
        keys = [_key(w) for w in _WORD.findall(clause)]
        if keys:
            out.append(keys)
    return out


def phrase_keys(phrase: str) -> tuple[str, ...]:
    """Return the matching keys of ``phrase``: its words, lower-cased and stemmed."""
    return tuple(key for clause in _clauses(phrase) for key in clause)


def _contains(keys: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    if n == 1:
        return phrase[0] in keys
    first = phrase[0]
    return any(
        keys[i] == first and tuple(keys[i : i + n]) == phrase for i in range(len(keys) - n + 1)
    )


def matches_theme(text: str, phrases: Iterable[str]) -> bool:
    """Return whether ``text`` mentions one of ``phrases``.

    Matching is by whole words, case-insensitive, in order within one clause, on word stems:
    "price" matches "Prices" and "pricing", "user friendly" matches "user-friendly", and "app"
    does not match "approve". A theme's comments are exactly the comments that match its
    phrases, so a theme's phrases make an auto-tag rule that tags the same comments.
    """
    wanted = [keys for keys in map(phrase_keys, phrases) if keys]
    if not wanted or not text:
        return False
    return any(_contains(keys, phrase) for keys in _clauses(text) for phrase in wanted)


# Tuning, measured on the demo seed's comments (promoter/text/tests/test_themes.py).
_MAX_WORDS = 3
_MAX_CANDIDATES = 500  # most frequent phrases considered
_CONTEXT_SAMPLE = 20_000  # distinct comments the informativeness is estimated from
_HEAD_OVERLAP = 0.15  # a new head and any other share less than this share of either's comments
_JOIN_PURITY = 0.5  # share of a phrase's assigned comments that must be in one theme to join it
_JOIN_EVIDENCE = 0.3  # ... and at least this share of all its comments
_REDUNDANT = 0.8  # a phrase whose comments are already this much in its theme adds nothing
_ROUNDS = 2
_HEADS = 2.0  # heads tried per theme asked for
_MAX_PHRASES = 10  # per theme
_MERGE_OVERLAP = 0.5  # two themes sharing this share of the smaller one's comments merge
_NAME_SHARE = 0.4  # a second phrase names the theme when this common relative to the head
_EXAMPLES = 3
_MAX_VARIANTS = 50
_EXAMPLE_CHARS = 280


def _valid(key: str) -> bool:
    return len(key) > 1 and key.isalpha()


def _candidates(clauses: list[list[str]]) -> set[tuple[str, ...]]:
    """Return the candidate phrases of one comment as tuples of keys."""
    found: set[tuple[str, ...]] = set()
    for keys in clauses:
        n = len(keys)
        for i in range(n):
            first = keys[i]
            if first in _STOP_KEYS or not _valid(first):
                continue
            content = first not in _GENERIC_KEYS
            if content:
                found.add((first,))
            for j in range(i + 1, min(i + _MAX_WORDS, n)):
                last = keys[j]
                if not _valid(last):
                    break
                if last in _STOP_KEYS:
                    continue
                content = content or last not in _GENERIC_KEYS
                if content:
                    found.add(tuple(keys[i : j + 1]))
    return found


@dataclass
class _Corpus:
    """Distinct comment texts, how often each occurs, and their candidate phrases."""

    texts: list[str]
    weight: list[int]
    candidates: list[set[tuple[str, ...]]]


def _corpus(comments: Sequence[tuple[Any, str]]) -> tuple[_Corpus, list[int], list[Any]]:
    """Return the distinct texts, then per non-empty comment its text's index and its id."""
    index_of: dict[str, int] = {}
    texts: list[str] = []
    weight: list[int] = []
    rows: list[int] = []
    ids: list[Any] = []
    for comment_id, text in comments:
        if not text or not text.strip():
            continue
        normalized = " ".join(text.split())
        index = index_of.get(normalized)
        if index is None:
            index = index_of[normalized] = len(texts)
            texts.append(text)
            weight.append(0)
        weight[index] += 1
        rows.append(index)
        ids.append(comment_id)
    candidates = [_candidates(_clauses(text)) for text in texts]
    return _Corpus(texts, weight, candidates), rows, ids


def _informativeness(corpus: _Corpus, phrases: list[tuple[str, ...]]) -> list[float]:
    """Return, per phrase, the KL divergence of its comments' words from all comments' words."""
    slot = {p: i for i, p in enumerate(phrases)}
    step = max(1, len(corpus.texts) // _CONTEXT_SAMPLE)
    background: Counter[str] = Counter()
    joint: list[Counter[str]] = [Counter() for _ in phrases]
    for index in range(0, len(corpus.texts), step):
        weight = corpus.weight[index]
        found = corpus.candidates[index]
        words = sorted(p[0] for p in found if len(p) == 1)
        for word in words:
            background[word] += weight
        for phrase in found:
            k = slot.get(phrase)
            if k is None:
                continue
            counts = joint[k]
            for word in words:
                if word not in phrase:
                    counts[word] += weight
    all_words = sum(background.values()) or 1
    out = []
    for counts in joint:
        n = sum(counts.values())
        kl = sum(c / n * math.log(c * all_words / (n * background[w])) for w, c in counts.items())
        out.append(max(kl, 0.0))
    return out


def discover_themes(
    comments: Sequence[tuple[Any, str]],
    *,
    max_themes: int = 12,
    min_size: int | None = None,
) -> list[Theme]:
    """Return up to ``max_themes`` themes of ``comments``, the biggest first.

    ``comments`` are (id, text) pairs; empty texts are ignored. A comment may be in several
    themes (one about price and support is in both) or in none. Every theme has at least
    ``min_size`` comments (default: 0.5 % of the non-empty comments, and at least 3). The
    result is the same for the same input; fewer than 2 · ``min_size`` comments give no theme.
    """
    corpus, rows, ids = _corpus(comments)
    total = len(rows)
    if min_size is None:
        min_size = max(3, math.ceil(total * 0.005))
    min_size = max(1, min_size)
    if total < 2 * min_size or max_themes < 1:
        return []

    df: Counter[tuple[str, ...]] = Counter()
    for index, found in enumerate(corpus.candidates):
        weight = corpus.weight[index]
        for phrase in found:
            df[phrase] += weight
    min_df = max(2, min_size // 2)
    frequent = sorted((p for p, n in df.items() if n >= min_df), key=lambda p: (-df[p], p))
    frequent = frequent[:_MAX_CANDIDATES]
    if not frequent:
        return []
    informativeness = _informativeness(corpus, frequent)
    score = {p: df[p] * informativeness[k] for k, p in enumerate(frequent)}
    # Among equals, a shorter phrase leads: it is the more general name.
    order = sorted(frequent, key=lambda p: (-score[p], len(p), p))
    occurrences: dict[tuple[str, ...], list[int]] = {p: [] for p in frequent}
    for index, found in enumerate(corpus.candidates):
        for phrase in found:
            where = occurrences.get(phrase)
            if where is not None:
                where.append(index)

    heads = _heads(order, occurrences, corpus.weight, df, min_size, limit=int(max_themes * _HEADS))
    groups = _expand(heads, order, occurrences, corpus.weight, df)
    return _themes(
        groups,
        df=df,
        score=score,
        occurrences=occurrences,
        corpus=corpus,
        rows=rows,
        ids=ids,
        max_themes=max_themes,
        min_size=min_size,
    )


def _weighted(indices: Iterable[int], weight: list[int]) -> int:
    return sum(weight[i] for i in indices)


def _heads(
    order: list[tuple[str, ...]],
    occurrences: dict[tuple[str, ...], list[int]],
    weight: list[int],
    df: Counter[tuple[str, ...]],
    min_size: int,
    *,
    limit: int,
) -> list[tuple[str, ...]]:
    """Pick the phrases that start themes: high-scoring, and each about something else."""
    heads: list[tuple[str, ...]] = []
    covers: list[set[int]] = []
    for phrase in order:
        if df[phrase] < min_size:
            continue
        mine = occurrences[phrase]
        distinct = True
        for head, cover in zip(heads, covers, strict=True):
            shared = _weighted((i for i in mine if i in cover), weight)
            if shared >= _HEAD_OVERLAP * min(df[phrase], df[head]):
                distinct = False
                break
        if distinct:
            heads.append(phrase)
            covers.append(set(mine))
            if len(heads) >= limit:
                break
    return heads


def _expand(
    heads: list[tuple[str, ...]],
    order: list[tuple[str, ...]],
    occurrences: dict[tuple[str, ...], list[int]],
    weight: list[int],
    df: Counter[tuple[str, ...]],
) -> list[list[tuple[str, ...]]]:
    """Give each head the phrases whose comments are mostly about it (see the module doc)."""
    groups = [[head] for head in heads]
    head_set = set(heads)
    for _ in range(_ROUNDS):
        owner = {phrase: t for t, group in enumerate(groups) for phrase in group}
        # Per comment, how many phrases of each theme it contains.
        matched: dict[int, Counter[int]] = {}
        for phrase, t in owner.items():
            for i in occurrences[phrase]:
                matched.setdefault(i, Counter())[t] += 1
        grown = [[head] for head in heads]
        for phrase in order:
            if phrase in head_set:
                continue
            own = owner.get(phrase)
            by_theme: Counter[int] = Counter()
            for i in occurrences[phrase]:
                counts = matched.get(i)
                if not counts:
                    continue
                for t, n in counts.items():
                    if n - (t == own) > 0:
                        by_theme[t] += weight[i]
            if not by_theme:
                continue
            best, n = min(by_theme.items(), key=lambda item: (-item[1], item[0]))
            if (
                n >= _JOIN_PURITY * sum(by_theme.values())
                and n >= max(2, _JOIN_EVIDENCE * df[phrase])
                and n < _REDUNDANT * df[phrase]
                and len(grown[best]) < _MAX_PHRASES
            ):
                grown[best].append(phrase)
        groups = grown
    return groups


def _themes(
    groups: list[list[tuple[str, ...]]],
    *,
    df: Counter[tuple[str, ...]],
    score: dict[tuple[str, ...], float],
    occurrences: dict[tuple[str, ...], list[int]],
    corpus: _Corpus,
    rows: list[int],
    ids: list[Any],
    max_themes: int,
    min_size: int,
) -> list[Theme]:
    """Merge overlapping groups, keep the best, and describe them as themes."""
    merged: list[tuple[list[tuple[str, ...]], set[int]]] = []
    for group in groups:
        members = set().union(*(occurrences[p] for p in group))
        size = _weighted(members, corpus.weight)
        for k, (other, other_members) in enumerate(merged):
            shared = _weighted(members & other_members, corpus.weight)
            smaller = min(size, _weighted(other_members, corpus.weight))
            if shared >= _MERGE_OVERLAP * smaller:
                merged[k] = ((other + group)[:_MAX_PHRASES], other_members | members)
                break
        else:
            merged.append((group, members))
    # Re-derive members from the (possibly capped) phrases so they match the rule exactly.
    described = []
    for group, _ in merged:
        members = set().union(*(occurrences[p] for p in group))
        if _weighted(members, corpus.weight) >= min_size:
            described.append((sum(score[p] for p in group), group, members))
    described.sort(key=lambda d: -d[0])
    themes = [
        _describe(group, members, df=df, corpus=corpus, rows=rows, ids=ids)
        for _, group, members in described[:max_themes]
    ]
    themes.sort(key=lambda t: (-t.size, t.name))
    return themes


def _surfaces(
    group: list[tuple[str, ...]], members: set[int], corpus: _Corpus
) -> dict[tuple[str, ...], Counter[str]]:
    """Return how often each phrase is written in each form among the theme's comments."""
    wanted = set(group)
    lengths = {len(p) for p in group}
    seen: dict[tuple[str, ...], Counter[str]] = {p: Counter() for p in group}
    for index in sorted(members):
        for clause in _CLAUSE.split(_normalize(corpus.texts[index])):
            words = _WORD.findall(clause)
            keys = [_key(w) for w in words]
            for n in lengths:
                for i in range(len(keys) - n + 1):
                    phrase = tuple(keys[i : i + n])
                    if phrase in wanted:
                        seen[phrase][" ".join(words[i : i + n])] += corpus.weight[index]
    return seen


def _by_frequency(forms: Counter[str]) -> list[str]:
    return [form for form, _ in sorted(forms.items(), key=lambda item: (-item[1], item[0]))]


def _describe(
    group: list[tuple[str, ...]],
    members: set[int],
    *,
    df: Counter[tuple[str, ...]],
    corpus: _Corpus,
    rows: list[int],
    ids: list[Any],
) -> Theme:
    forms = _surfaces(group, members, corpus)
    phrases = [(_by_frequency(forms[p]) or [" ".join(p)])[0] for p in group]
    variants = _by_frequency(sum(forms.values(), Counter()))
    # Name: the head, and the next phrase if it is common and not a longer form of the head.
    name_parts = [phrases[0]]
    for p, written in zip(group[1:], phrases[1:], strict=True):
        if not set(p) & set(group[0]) and df[p] >= _NAME_SHARE * df[group[0]]:
            name_parts.append(written)
            break
    name = " / ".join(name_parts)
    comment_rows = [k for k, index in enumerate(rows) if index in members]
    return Theme(
        name=name[:1].upper() + name[1:],
        phrases=phrases,
        comment_ids=[ids[k] for k in comment_rows],
        size=len(comment_rows),
        examples=_examples(group, members, corpus),
        variants=variants[:_MAX_VARIANTS],
    )


def _examples(group: list[tuple[str, ...]], members: set[int], corpus: _Corpus) -> list[str]:
    """Pick comments that say several of the theme's phrases, short enough to read at once."""
    wanted = set(group)

    def rank(index: int) -> tuple[int, int, int]:
        text = corpus.texts[index]
        hits = len(corpus.candidates[index] & wanted)
        return (-hits, len(text) > _EXAMPLE_CHARS, index)

    return [corpus.texts[i].strip() for i in sorted(members, key=rank)[:_EXAMPLES]]
