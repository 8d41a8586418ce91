"""Other domains a question may be about, read from a table we write (``corpus/offtopic.yaml``).

A maths word is often an everyday word elsewhere ("The Matrix", a gradient background in CSS, 信用卡积分). This
module holds the data for telling the senses apart, with no model: each domain's descriptions and cue words,
the concept aliases that are ambiguous, and how much of a Chinese question the term table explains.
``tutor/offtopic.py`` adds the embedding comparison and the policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mathtutor.knowledge.aliases import canonical, compile_detector, normalize, singular_forms
from mathtutor.knowledge.zh import ZhRewrite, has_cjk

SENSES_FILE = "offtopic.yaml"
_KEYS = frozenset({"maths", "ambiguous", "function_zh", "domains"})
_DOMAIN_KEYS = frozenset({"id", "about", "cues"})
_SLUG = re.compile(r"^[a-z][a-z0-9-]*$")


class SenseTableError(ValueError):
    """The table cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Domain:
    """A field questions to a maths tutor wander into: what it is about (English lines) and its cue words."""

    id: str
    about: tuple[str, ...]
    cues: tuple[str, ...]


@dataclass(frozen=True)
class SenseTable:
    """The validated table, with the cue words compiled into one detector."""

    domains: tuple[Domain, ...]
    maths: tuple[str, ...]
    ambiguous: frozenset[str]  #: canonical forms (see ``aliases.canonical``) of ambiguous aliases
    function_zh: frozenset[str]
    source: str = "<memory>"
    cue_domain: dict[str, str] = field(default_factory=dict, repr=False)  #: canonical cue -> domain id
    cue_pattern: re.Pattern[str] = field(default=re.compile(r"(?!)"), repr=False)

    def cue_domains(self, text: str) -> list[str]:
        """Domains whose cue words the text contains, in order of first mention."""
        found: list[str] = []
        for match in self.cue_pattern.finditer(normalize(text)):
            domain = self._cue_of(canonical(match.group()))
            if domain is not None and domain not in found:
                found.append(domain)
        return found

    def _cue_of(self, key: str) -> str | None:
        return next((self.cue_domain[k] for k in singular_forms(key) if k in self.cue_domain), None)

    def is_ambiguous(self, words: str) -> bool:
        """True for an alias that is also an everyday word elsewhere ("matrix", "梯度"); plurals included."""
        key = canonical(words)
        return key in self.ambiguous or (key.isascii() and any(k in self.ambiguous for k in singular_forms(key)))

    def unexplained_share(self, rewrite: ZhRewrite) -> float:
        """Share of a Chinese question's content characters that no term of the term table covers.

        Function characters (的, 吗, 怎, ...) count on neither side. High means the question talks mostly about
        things the maths vocabulary does not know, so a lone maths word in it is probably used in another sense.
        """
        content = [c for c in rewrite.text if has_cjk(c) and c not in self.function_zh]
        unknown = [c for piece in rewrite.unknown for c in piece if c not in self.function_zh]
        return len(unknown) / len(content) if content else 0.0

    def domain(self, domain_id: str) -> Domain:
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)


def _strings(value: Any, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise SenseTableError(f"{source}: {where} must be a non-empty list of words")
    return tuple(str(v).strip() for v in value)


def parse_senses(text: str, *, source: str = SENSES_FILE) -> SenseTable:
    """Validate the YAML text of the table: unknown keys, empty lists and a cue in two domains are errors."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or set(data) != _KEYS:
        raise SenseTableError(f"{source}: expected exactly the keys {sorted(_KEYS)}")
    ambiguous = data["ambiguous"]
    if not isinstance(ambiguous, dict) or set(ambiguous) != {"en", "zh"}:
        raise SenseTableError(f"{source}: ambiguous needs the lists en and zh")
    words = _strings(ambiguous["en"], "ambiguous.en", source) + _strings(ambiguous["zh"], "ambiguous.zh", source)
    if not isinstance(data["function_zh"], str) or not all(has_cjk(c) for c in data["function_zh"]):
        raise SenseTableError(f"{source}: function_zh must be a string of Chinese characters")
    domains: list[Domain] = []
    cue_domain: dict[str, str] = {}
    all_cues: list[str] = []
    for raw in data["domains"] or []:
        if not isinstance(raw, dict) or set(raw) != _DOMAIN_KEYS or not _SLUG.match(str(raw.get("id", ""))):
            raise SenseTableError(f"{source}: each domain has exactly id (a slug), about and cues: {raw!r:.80}")
        dom = Domain(raw["id"], _strings(raw["about"], f"{raw['id']}.about", source), ())
        cues = _strings(raw["cues"], f"{raw['id']}.cues", source)
        for cue in cues:
            other = cue_domain.setdefault(canonical(cue), dom.id)
            if other != dom.id:
                raise SenseTableError(f"{source}: cue {cue!r} is in both {other} and {dom.id}")
            all_cues.append(cue)
        domains.append(Domain(dom.id, dom.about, cues))
    if len({d.id for d in domains}) != len(domains):
        raise SenseTableError(f"{source}: domain ids must be unique")
    return SenseTable(
        domains=tuple(domains),
        maths=_strings(data["maths"], "maths", source),
        ambiguous=frozenset(canonical(w) for w in words),
        function_zh=frozenset(data["function_zh"]),
        source=source,
        cue_domain=cue_domain,
        cue_pattern=compile_detector(all_cues),
    )


@lru_cache(maxsize=4)
def load_senses(path: Path) -> SenseTable:
    """The table at ``path`` (``<corpus_dir>/offtopic.yaml``), parsed once."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SenseTableError(f"cannot read {path}: {exc}") from exc
    return parse_senses(text, source=str(path))
