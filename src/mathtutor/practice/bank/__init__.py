"""The problem bank: every generator, indexed by the topic-graph concept ids it practises."""

from __future__ import annotations

from mathtutor.practice.bank import (  # noqa: F401 - importing registers the generators
    calculus,
    concepts,
    decomp,
    linalg,
    ml,
    models,
    optimisation,
    probability,
    statistics,
)
from mathtutor.practice.bank.base import REGISTRY, Generator

BY_NAME: dict[str, Generator] = {g.name: g for g in REGISTRY}
BY_CONCEPT: dict[str, list[Generator]] = {}
for _gen in REGISTRY:
    for _cid in _gen.concepts:
        BY_CONCEPT.setdefault(_cid, []).append(_gen)

__all__ = ["BY_CONCEPT", "BY_NAME", "REGISTRY", "Generator"]
