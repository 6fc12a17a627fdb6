"""Red flags: signs in a question that call for urgent care, and what to tell the reader.

People describe red flags in their own words ("numbness in my groin", "I don't want to be here
anymore"), so each flag lists the clinical and the everyday phrasings that signal it.  All of it
is data (``data/red_flags.toml``), with the public page each phrasing and each piece of advice
comes from, so that a clinician can read, check and extend it without touching code.

The matcher is deliberately small and explainable rather than a model: the question is split into
words, spellings are normalised, each sign is a word pattern compiled to a regular expression,
and a match counts only if no negation ("no fever", "denies chest pain"), hypothesis ("the risk
of suicidal thoughts") or clearly finished history ("as a child", "years ago") governs it.  Every
match says which flag, which words of the question and why.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal

Level = Literal["emergency", "same_day"]
Audience = Literal["clinician", "patient"]

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+(?:['’][^\W\d_]+)*|[.;!?,]")
_SENTENCE_END = frozenset(".;!?")
_GAP_STOP = r"(?!(?:but|however|although|though) )"  # a gap never reaches past these words
_PATTERN_PIECE = re.compile(r"<\w+>\??|~\d+|\(|\)\??|\||[^\s()|<>~]+")
_WINDOW = 5  # words before a sign in which a negation or hypothesis applies (NegEx)
_AFTER = 3  # words after a sign in which a post-negation applies ("chest pain: denied")


@dataclass(frozen=True)
class Source:
    """A public page that a phrasing or a piece of advice comes from."""

    key: str
    name: str
    url: str


@dataclass(frozen=True)
class Advice:
    """One sentence of escalation advice, with the pages it paraphrases."""

    text: str
    level: Level
    sources: tuple[Source, ...]

    def __str__(self) -> str:
        return f"{self.text} (Source: {'; '.join(s.name for s in self.sources)})"


@dataclass(frozen=True)
class Sign:
    """One way a flag shows in a question: every pattern in ``parts`` must match."""

    means: str
    parts: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class RedFlag:
    key: str
    label: str  # for clinicians
    plain: str  # for patients
    level: Level
    topics: tuple[str, ...]
    sources: tuple[Source, ...]
    action: Advice
    signs: tuple[Sign, ...]
    past_counts: bool = False  # a past event is itself the flag (a history of cancer)
    resolved_counts: bool = False  # signs that went away still count (a TIA)


@dataclass(frozen=True)
class RedFlagMatch:
    """A flag found in a question: the words that raised it and why."""

    flag: RedFlag
    text: str  # the matched words as typed; parts of a combined sign joined by " … "
    spans: tuple[tuple[int, int], ...]  # character offsets into the question
    why: str

    @property
    def key(self) -> str:
        return self.flag.key

    @property
    def label(self) -> str:
        return self.flag.label


@dataclass(frozen=True)
class _Words:
    """A question split into words, with everything the context checks need."""

    text: str
    words: list[str]  # lower-cased, spelling normalised
    spans: list[tuple[int, int]]  # each word's offsets in the question
    starts: list[int]  # each word's offset in ``joined``
    joined: str  # " w1 w2 … wn ", what the patterns run on
    clauses: list[tuple[int, int]]  # for each word, the word range of its clause


class _Compiler:
    """Turns the data file's word patterns into regular expressions over ``_Words.joined``."""

    def __init__(self, terms: dict[str, list[str]]) -> None:
        self.terms = terms
        self.done: dict[str, str] = {}

    def regex(self, pattern: str | Sequence[str]) -> re.Pattern[str]:
        alternatives = [pattern] if isinstance(pattern, str) else list(pattern)
        return re.compile("(?<= )(?:" + "|".join(self.body(p) for p in alternatives) + ")")

    def body(self, pattern: str) -> str:
        out = []
        for piece in _PATTERN_PIECE.findall(pattern):
            optional = "?" if piece.endswith("?") else ""
            piece = piece.removesuffix("?")
            if piece == "(":
                out.append("(?:")
            elif piece in (")", "|"):
                out.append(piece + optional)
            elif piece.startswith("<"):
                out.append(f"(?:{self.term(piece[1:-1])}){optional}")
            elif piece.startswith("~"):
                out.append(f"(?:{_GAP_STOP}[^ .;!?]+ ){{0,{int(piece[1:])}}}")
            elif piece == "#":
                out.append(r"\d[^ ]* ")
            elif piece == "#year":
                out.append(r"(?:19|20)\d\d ")
            else:
                word = re.escape(piece.rstrip("*")) + ("[^ ]*" if piece.endswith("*") else "")
                out.append(word + " ")
        return "".join(out)

    def term(self, name: str) -> str:
        if name not in self.done:
            if name not in self.terms:
                raise ValueError(f"red_flags.toml: unknown term <{name}>")
            self.done[name] = "…"  # a term that refers to itself fails below, not forever
            self.done[name] = "|".join(self.body(p) for p in self.terms[name])
        if self.done[name] == "…":
            raise ValueError(f"red_flags.toml: term <{name}> refers to itself")
        return self.done[name]


class RedFlags:
    """The red-flag knowledge in ``data/red_flags.toml``, compiled once."""

    def __init__(self, data: dict) -> None:
        compile_ = _Compiler(data["terms"])
        self.sources = {key: Source(key, s["name"], s["url"]) for key, s in data["sources"].items()}
        self.spelling: dict[str, str] = data["spelling"]
        context = data["context"]
        self._breaks = compile_.regex(context["clause_breaks"])
        self._negation = compile_.regex(context["negation"])
        self._pseudo = compile_.regex(context["pseudo_negation"])
        self._post_negation = compile_.regex(context["post_negation"])
        self._hypothetical = compile_.regex(context["hypothetical"])
        self._remote = compile_.regex(context["remote"])
        self._resolved = compile_.regex(context["resolved"])
        self.flags = tuple(self._flag(f, compile_) for f in data["flag"])
        self.topics = {
            key: (compile_.regex(t["terms"]), tuple(self._advice(a) for a in t["advice"]))
            for key, t in data["topics"].items()
        }
        self.generic = tuple(self._advice(a) for a in data["generic"]["advice"])
        self.notice: dict[str, dict[str, str]] = data["notice"]
        unknown = {t for f in self.flags for t in f.topics} - set(self.topics)
        if unknown:
            raise ValueError(f"red_flags.toml: flags name unknown topics {sorted(unknown)}")

    @classmethod
    def load(cls) -> RedFlags:
        return cls(tomllib.loads((files("evidex") / "data" / "red_flags.toml").read_text()))

    def _source(self, key: str) -> Source:
        if key not in self.sources:
            raise ValueError(f"red_flags.toml: unknown source {key!r}")
        return self.sources[key]

    def _advice(self, entry: dict) -> Advice:
        return Advice(entry["text"], entry.get("level", "emergency"), tuple(self._source(k) for k in entry["sources"]))

    def _flag(self, entry: dict, compile_: _Compiler) -> RedFlag:
        signs = tuple(
            Sign(
                s["means"],
                tuple(compile_.regex(p) for p in s["all"]),
                compile_.regex(s["unless"]) if s.get("unless") else None,
            )
            for s in entry["sign"]
        )
        action = dict(entry["action"], level=entry["level"])
        return RedFlag(
            key=entry["key"],
            label=entry["label"],
            plain=entry["plain"],
            level=entry["level"],
            topics=tuple(entry["topics"]),
            sources=tuple(self._source(k) for k in entry["sources"]),
            action=self._advice(action),
            signs=signs,
            past_counts=entry.get("past_counts", False),
            resolved_counts=entry.get("resolved_counts", False),
        )

    # --- finding flags ---------------------------------------------------------------------

    def find(self, text: str) -> list[RedFlagMatch]:
        """Every flag the question raises, emergencies first, each with the words and the reason."""
        words = self._words(text)
        found, seen = [], {}
        for flag in self.flags:
            for sign in flag.signs:
                hits = []
                for part in sign.parts:
                    hits.append(self._first_current(part, sign, flag, words, seen))
                    if hits[-1] is None:
                        break
                else:
                    found.append(self._explain(flag, sign, hits, words))
                    break
        return sorted(found, key=lambda m: m.flag.level != "emergency")

    def _words(self, text: str) -> _Words:
        matches = list(_TOKEN.finditer(text))
        words = [self._spell(m.group().lower().replace("’", "'")) for m in matches]
        starts, position = [], 1
        for word in words:
            starts.append(position)
            position += len(word) + 1
        joined = " " + " ".join(words) + " "
        breaks = {bisect_right(starts, m.start()) - 1 for m in self._breaks.finditer(joined)}
        breaks |= {i + 1 for i, word in enumerate(words) if word in _SENTENCE_END}
        edges = sorted(breaks | {0, len(words)})
        clauses = [(a, b) for a, b in zip(edges, edges[1:]) for _ in range(a, b)]
        return _Words(text, words, [m.span() for m in matches], starts, joined, clauses)

    def _spell(self, word: str) -> str:
        return self.spelling.get(word, word)

    def _first_current(
        self, part: re.Pattern[str], sign: Sign, flag: RedFlag, words: _Words, seen: dict
    ) -> tuple[int, int] | None:
        """Word range of the first match of ``part`` that is about the person now, else None.
        ``seen`` keeps the verdicts of this question: many signs share the same words."""
        for match in part.finditer(words.joined):
            first = bisect_right(words.starts, match.start()) - 1
            end = bisect_right(words.starts, match.end() - 2)
            key = (first, end, flag.past_counts, flag.resolved_counts, sign.unless)
            if key not in seen:
                seen[key] = self._is_current(first, end, sign, flag, words)
            if seen[key]:
                return first, end
        return None

    def _is_current(self, first: int, end: int, sign: Sign, flag: RedFlag, words: _Words) -> bool:
        before = words.words[words.clauses[first][0]:first]
        after = words.words[end:words.clauses[end - 1][1]]
        window = " " + " ".join([w for w in before if w != ","][-_WINDOW:]) + " "
        window = self._pseudo.sub(" ", window)
        if self._negation.search(window) or self._hypothetical.search(window):
            return False
        if self._post_negation.search(" " + " ".join([w for w in after if w != ","][:_AFTER]) + " "):
            return False
        rest = (" " + " ".join(before) + " ", " " + " ".join(after) + " ")
        if not flag.past_counts:
            if any(self._remote.search(r) for r in rest):
                return False
            if not flag.resolved_counts and any(self._resolved.search(r) for r in rest):
                return False
        if sign.unless is not None:
            whole = " " + " ".join(before + words.words[first:end] + after) + " "
            if sign.unless.search(whole):
                return False
        return True

    def _explain(self, flag: RedFlag, sign: Sign, hits: list, words: _Words) -> RedFlagMatch:
        spans = tuple((words.spans[a][0], words.spans[b - 1][1]) for a, b in sorted(set(hits)))
        typed = [words.text[s:e] for s, e in spans]
        read_as = [
            f"“{words.text[slice(*words.spans[i])]}” as “{words.words[i]}”"
            for a, b in hits for i in range(a, b)
            if words.words[i] != words.text[slice(*words.spans[i])].lower().replace("’", "'")
        ]
        why = f"{sign.means}: a red flag for {flag.label.lower()} ({'; '.join(s.name for s in flag.sources)})"
        if read_as:
            why += "; read " + ", ".join(dict.fromkeys(read_as))
        return RedFlagMatch(flag, " … ".join(typed), spans, why)

    # --- advice ----------------------------------------------------------------------------

    def topics_of(self, text: str, names: Iterable[str] = ()) -> list[str]:
        """Topics of ``[topics]`` that the question (or one of its condition names) is about."""
        found = []
        for text_ in [text, *names]:
            words = self._words(text_)
            for key, (terms, _) in self.topics.items():
                if key in found:
                    continue
                for match in terms.finditer(words.joined):
                    first = bisect_right(words.starts, match.start()) - 1
                    window = " " + " ".join(w for w in words.words[max(0, first - _WINDOW):first] if w != ",") + " "
                    if not self._negation.search(self._pseudo.sub(" ", window)):
                        found.append(key)
                        break
        return found

    def when_to_get_help(self, flags: Sequence[RedFlagMatch] = (), topics: Iterable[str] = ()) -> list[Advice]:
        """Escalation advice that fits the question: each flag's action, then the advice for the
        question's topics (keys from :meth:`topics_of`) and the flags' topics (emergencies first);
        the generic lines only when nothing fits.  Every sentence is from the data file and names
        its source."""
        advice = [m.flag.action for m in flags]
        keys = list(topics)
        keys += [t for m in flags for t in m.flag.topics if t not in keys]
        topical = [a for key in keys for a in self.topics[key][1]]
        advice += sorted(topical, key=lambda a: a.level != "emergency")
        unique: dict[str, Advice] = {}
        for entry in advice:
            unique.setdefault(entry.text, entry)
        return list(unique.values()) or list(self.generic)

    def urgent_notice(self, flags: Sequence[RedFlagMatch], audience: Audience = "clinician") -> str | None:
        """The notice for the top of the answer, in the wording of the most urgent level found."""
        if not flags:
            return None
        level = "emergency" if any(m.flag.level == "emergency" for m in flags) else "same_day"
        label = (lambda m: m.flag.plain) if audience == "patient" else (lambda m: m.flag.label.lower())
        listed = ", ".join(f"“{m.text}” ({label(m)})" for m in flags)
        return self.notice[level][audience].format(flags=listed)


    def evidence_caveat(self, flags: Sequence[RedFlagMatch], audience: Audience = "clinician") -> str | None:
        """The note that the evidence shown is about people without the red flags found."""
        return self.notice["evidence"][audience] if flags else None


@lru_cache(maxsize=1)
def red_flags() -> RedFlags:
    """The shipped red-flag data, loaded and compiled once per process."""
    return RedFlags.load()


def find_red_flags(text: str) -> list[RedFlagMatch]:
    """Red flags in ``text``, emergencies first; each says which words raised it and why."""
    return red_flags().find(text)


def help_topics(question: str, names: Iterable[str] = ()) -> list[str]:
    """The advice topics a question (or one of its condition names) is about: "back_pain", "toothache" …"""
    return red_flags().topics_of(question, names)


def when_to_get_help(flags: Sequence[RedFlagMatch] = (), topics: Iterable[str] = ()) -> list[Advice]:
    """Sourced escalation advice for a question's red flags and advice topics (:func:`help_topics`)."""
    return red_flags().when_to_get_help(flags, topics)


def urgent_notice(flags: Sequence[RedFlagMatch], audience: Audience = "clinician") -> str | None:
    """The urgent-care notice for an answer whose question raised ``flags`` (None if there are none)."""
    return red_flags().urgent_notice(flags, audience)


def evidence_caveat(flags: Sequence[RedFlagMatch], audience: Audience = "clinician") -> str | None:
    """For an answer whose question raised ``flags``: its evidence is about people without them."""
    return red_flags().evidence_caveat(flags, audience)
