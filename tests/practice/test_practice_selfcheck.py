"""The self-check runs clean on a small sample, and its leak detector and rewrites work."""

from __future__ import annotations

from mathtutor.practice import engine, selfcheck
from mathtutor.practice.bank import REGISTRY
from mathtutor.practice.types import Instance


def test_selfcheck_sample_is_clean():
    report = selfcheck.run(seeds=1)
    assert report["failed"] == 0, report["failures"][:5]
    assert report["counts"]["problems"] == len(REGISTRY) * 3
    assert report["counts"]["rewrite"] == 5 * report["counts"]["problems"]
    assert report["counts"]["misconception"] > 50
    assert report["concepts_without_citation"] == []


def test_leak_detector():
    inst = Instance("s", "expression", None, "2*x*cos(x**2)", ("h",), ("s",))
    import sympy as sp

    x = sp.Symbol("x")
    inst = Instance("s", "expression", 2 * x * sp.cos(x**2), "2*x*cos(x**2)", ("h",), ("s",))
    assert selfcheck.leaks(r"so $f'(x) = 2 x \cos\left(x^{2}\right)$", inst)
    assert not selfcheck.leaks(r"the outer derivative is $\cos(u)$", inst)
    num = Instance("s", "number", sp.Rational(16, 31), "16/31", ("h",), ("s",))
    assert selfcheck.leaks(r"the result is $\frac{16}{31}$", num)
    assert not selfcheck.leaks(r"P(+) is $\frac{31}{80}$", num)
    small = Instance("s", "number", sp.Integer(2), "2", ("h",), ("s",))
    assert selfcheck.leaks("so the rank = 2", small)
    assert not selfcheck.leaks("a 2x2 matrix", small)


def test_crash_counts_as_failure(monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "instance", boom)
    report = selfcheck.run(seeds=1, generators=["calc.chain-rule"])
    assert report["failed"] == 3 and report["failures"][0]["check"] == "crash"


def test_rewrites_are_five_and_distinct():
    inst = engine.instance("linalg.inverse", "practitioner", 1)
    forms = selfcheck.rewrites(inst)
    assert len(forms) == 5 and len({t for _, t in forms}) == 5
