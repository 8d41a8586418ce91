from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from mathtutor.ingest.calibration import (
    CACHE_NAME,
    Constraints,
    EmbedChoice,
    calibrate_query,
    top_k_overlap,
)
from mathtutor.ingest.ingest_choice import calibrate_ingest
from mathtutor.ingest.machine import OtherWork
from mathtutor.ingest.tuning import Tuner, choose, probe_sample
from mathtutor.settings import Settings

KEY = {"cpu": "Test CPU", "cores": 2, "torch": "1", "sentence_transformers": "2", "transformers": "3", "model": "m"}


def _unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


class FakeProbe:
    """Figures from tables; counts every timing so tests can see what was measured."""

    def __init__(self, rates=None, latencies=None, int8_vectors=None):
        self.rates = rates or {("float32", 2): 30.0, ("bfloat16", 2): 20.0, ("int8", 2): 25.0, ("float32", 1): 16.0}
        self.latencies = latencies or {}
        self.ref = _unit_rows(32)
        self.int8_vectors = self.ref if int8_vectors is None else int8_vectors
        self.calls: list[tuple[str, str, int]] = []

    def _vecs(self, precision: str) -> np.ndarray:
        return self.int8_vectors if precision == "int8" else self.ref

    def throughput(self, precision, threads, max_seconds):
        assert max_seconds > 0
        self.calls.append(("throughput", precision, threads))
        return self.rates.get((precision, threads), 10.0), self._vecs(precision), None

    def latency_ms(self, precision, threads, max_seconds, give_up_ms):
        assert max_seconds > 0
        self.calls.append(("latency", precision, threads))
        return self.latencies.get((precision, threads), 20.0)

    def vectors(self, precision):
        self.calls.append(("vectors", precision, 0))
        return self._vecs(precision)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(autouse=True)
def quiet_machine(monkeypatch):
    """Calibration caches only what it measured on a quiet machine; tests say how busy it is."""
    monkeypatch.setattr("mathtutor.ingest.tuning.current_load", lambda: 0.25)
    # what else the machine does while a test times its fakes is not the test's business: unknown, so cached
    monkeypatch.setattr("mathtutor.ingest.tuning.OtherWork", lambda: OtherWork(lambda: None))


def _clear_env(monkeypatch) -> None:
    for name in ("EMBED_PRECISION", "EMBED_WORKERS", "EMBED_THREADS", "TORCH_THREADS", "EMBED_MEMORY_MB"):
        monkeypatch.delenv(f"MATHTUTOR_{name}", raising=False)


# ---------------------------------------------------------------- choosing


def test_ingest_keeps_the_fastest_in_process_configuration():
    probe = FakeProbe()
    choice = calibrate_ingest(probe, Constraints(), cores=2)
    assert (choice.precision, choice.processes, choice.threads) == ("float32", 1, 2)
    assert choice.unit == "chunks/s" and choice.source == "measured"
    assert choice.measured == {
        "float32 1x2": 30.0,
        "bfloat16 1x2": 20.0,
        "int8 1x2": 25.0,
        "float32 1x1": 16.0,
        "bfloat16 1x1": 10.0,
        "int8 1x1": 10.0,
        "float32 2x1": 32.0,  # 1.07 x 30: not worth a second model copy
        "bfloat16 2x1": 20.0,
        "int8 2x1": 20.0,
    }
    # every precision is timed with N threads and with 1 (the processes' rate is estimated from it)
    expected = [(p, t) for p in ("float32", "bfloat16", "int8") for t in (2, 1)]
    assert [c[1:] for c in probe.calls] == expected
    assert "estimate" in choice.notes["float32 2x1"]
    assert choice.notes["choice"].startswith("model held once: 94% of the fastest, float32 2x1")


def test_processes_must_be_over_ten_percent_faster_because_they_hold_the_model_twice():
    rates = {("float32", 2): 30.0, ("bfloat16", 2): 20.0, ("int8", 2): 10.0}
    below = calibrate_ingest(FakeProbe({**rates, ("float32", 1): 16.4}), Constraints(), cores=2)  # 32.8 < 1.1 x 30
    above = calibrate_ingest(FakeProbe({**rates, ("float32", 1): 16.6}), Constraints(), cores=2)  # 33.2 > 33
    assert (below.processes, below.threads) == (1, 2)
    assert (above.precision, above.processes, above.threads) == ("float32", 2, 1)


def test_on_a_busy_machine_one_thread_wins():
    rates = {("float32", 2): 2.5, ("float32", 1): 5.1, ("bfloat16", 2): 6.0, ("bfloat16", 1): 16.7}
    rates |= {("int8", 2): 4.0, ("int8", 1): 15.1}
    probe = FakeProbe(rates)
    choice = calibrate_ingest(probe, Constraints(), cores=2)
    assert (choice.precision, choice.processes, choice.threads) == ("bfloat16", 2, 1)
    assert choice.measured["bfloat16 2x1"] == 33.4 and choice.measured["bfloat16 1x2"] == 6.0


def test_queries_time_thread_counts_first_then_precisions_at_the_better_one():
    lat = {("float32", 1): 28.0, ("float32", 2): 373.0, ("bfloat16", 1): 22.0, ("int8", 1): 15.5}
    probe = FakeProbe(latencies=lat)
    choice = calibrate_query(probe, Constraints(processes=1), cores=2)
    order = [c[1:] for c in probe.calls if c[0] == "latency"]
    assert order[:4] == [("float32", 1), ("float32", 2), ("bfloat16", 1), ("int8", 1)]
    assert (choice.precision, choice.threads) == ("int8", 1)


def test_one_core_has_one_layout():
    probe = FakeProbe({("float32", 1): 9.0, ("bfloat16", 1): 12.0, ("int8", 1): 3.0})
    choice = calibrate_ingest(probe, Constraints(), cores=1)
    assert [c[1:] for c in probe.calls] == [("float32", 1), ("bfloat16", 1), ("int8", 1)]
    assert (choice.precision, choice.processes, choice.threads) == ("bfloat16", 1, 1)
    assert set(choice.measured) == {"float32 1x1", "bfloat16 1x1", "int8 1x1"}


def test_int8_is_rejected_when_its_neighbours_drift():
    ref = _unit_rows(32)
    drifted = _unit_rows(32, seed=1)  # unrelated vectors: neighbours change almost entirely
    rates = {("float32", 2): 30.0, ("bfloat16", 2): 20.0, ("int8", 2): 50.0, ("float32", 1): 10.0}
    probe = FakeProbe(rates, int8_vectors=drifted)
    probe.ref = ref
    choice = calibrate_ingest(probe, Constraints(), cores=2)
    assert choice.precision == "float32"
    assert not [label for label in choice.measured if label.startswith("int8")]
    assert "rejected" in choice.notes["int8"] and "50.0 chunks/s with 2 thread(s)" in choice.notes["int8"]


def test_int8_is_kept_when_its_neighbours_stay_and_it_is_fastest():
    rates = {("float32", 2): 30.0, ("bfloat16", 2): 20.0, ("int8", 2): 50.0, ("int8", 1): 20.0}
    choice = calibrate_ingest(FakeProbe(rates), Constraints(), cores=2)
    assert (choice.precision, choice.processes, choice.threads) == ("int8", 1, 2)
    assert choice.notes["int8"].startswith("top-10 overlap with float32 1.000 (kept")


class SlowProbe(FakeProbe):
    """Every timing costs 4 s on a fake clock."""

    def __init__(self):
        super().__init__()
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def throughput(self, precision, threads, max_seconds):
        self.now += 4.0
        return super().throughput(precision, threads, max_seconds)

    def latency_ms(self, precision, threads, max_seconds, give_up_ms):
        self.now += 4.0
        return super().latency_ms(precision, threads, max_seconds, give_up_ms)


class BudgetProbe(FakeProbe):
    """Records the seconds each timing is allowed; each takes what it is allowed (one batch: 0.5 s at least)."""

    def __init__(self):
        super().__init__()
        self.now = 0.0
        self.allowed: list[float] = []

    def clock(self) -> float:
        return self.now

    def throughput(self, precision, threads, max_seconds):
        self.allowed.append(max_seconds)
        self.now += max(max_seconds, 0.5)
        return super().throughput(precision, threads, max_seconds)


def test_ingest_budget_is_shared_but_every_candidate_runs_at_least_one_batch():
    probe = BudgetProbe()
    choice = calibrate_ingest(probe, Constraints(), cores=2, timer=probe.clock, budget_s=6.0)
    assert probe.allowed == [1.0] * 6  # 6 s over 6 timings
    assert choice.calibration_seconds == 6.0 and len(choice.measured) == 9
    slow = SlowProbe()  # every timing overruns: the others still get their one batch
    choice = calibrate_ingest(slow, Constraints(), cores=2, timer=slow.clock, budget_s=6.0)
    assert len(slow.calls) == 6 and choice.calibration_seconds == 24.0
    assert not [n for n in choice.notes.values() if n.startswith("skipped")]


def test_query_calibration_stops_timing_when_its_budget_is_spent():
    probe = SlowProbe()
    q = calibrate_query(probe, Constraints(processes=1), cores=2, timer=probe.clock, budget_s=3.0)
    assert [c for c in probe.calls if c[0] == "latency"] == [("latency", "float32", 1)]
    assert len(q.measured) == 1 and q.notes["float32 1x2"].startswith("skipped")


def test_top_k_overlap_is_exact():
    ref = _unit_rows(12)
    assert top_k_overlap(ref, ref) == 1.0
    assert top_k_overlap(ref, ref, k=11) == 1.0  # all the others: always the same set
    assert top_k_overlap(ref, -ref, k=11) == 1.0
    with pytest.raises(ValueError):
        top_k_overlap(ref, ref[:5])


def test_top_k_overlap_counts_lost_neighbours():
    against = np.eye(4, dtype=np.float32)
    ref = np.array([[1.0, 0.9, 0.1, 0.0]], dtype=np.float32)  # top-2: 0, 1
    test = np.array([[1.0, 0.1, 0.9, 0.0]], dtype=np.float32)  # top-2: 0, 2
    assert top_k_overlap(ref, test, k=2, against=against) == 0.5


def test_query_keeps_the_lowest_p50_latency():
    lat = {("float32", 1): 12.0, ("float32", 2): 9.5, ("bfloat16", 1): 30.0, ("bfloat16", 2): 20.0}
    lat |= {("int8", 1): 8.0, ("int8", 2): 11.0}
    probe = FakeProbe(latencies=lat)
    choice = calibrate_query(probe, Constraints(processes=1), cores=2)
    assert (choice.precision, choice.processes, choice.threads, choice.unit) == ("int8", 1, 1, "ms")
    assert choice.measured["float32 1x2"] == 9.5 and len(choice.measured) == 6
    assert ("vectors", "int8", 0) in probe.calls


def test_query_int8_gate_uses_the_index_vectors_when_given():
    ref = _unit_rows(24)
    index = _unit_rows(50, seed=3)
    drifted = _unit_rows(24, seed=5)
    probe = FakeProbe(latencies={("int8", 1): 1.0}, int8_vectors=drifted)
    probe.ref = ref
    choice = calibrate_query(probe, Constraints(processes=1), cores=2, reference=index)
    assert choice.precision != "int8" and "rejected" in choice.notes["int8"]


def test_describe_names_the_configuration():
    c = EmbedChoice("ingest", "float32", 1, 2, "measured", "chunks/s", calibration_seconds=6.14)
    assert c.describe() == "float32, 1 process x 2 threads (measured in 6.1 s)"
    c = EmbedChoice("ingest", "bfloat16", 2, 1, "cache")
    assert c.describe() == "bfloat16, 2 processes x 1 thread (measured earlier on this machine)"
    assert EmbedChoice.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError):
        EmbedChoice.from_dict({**c.to_dict(), "precision": "float8"})


def test_probe_sample_spreads_over_the_texts():
    texts = [str(i) for i in range(100)]
    assert probe_sample(texts, 4) == ["0", "25", "50", "75"]
    assert probe_sample(texts[:3], 4) == ["0", "1", "2"]


# ---------------------------------------------------------------- the cache


def test_choice_is_cached_as_json_and_reused_without_timing(settings, monkeypatch):
    _clear_env(monkeypatch)
    made: list[FakeProbe] = []

    def make() -> FakeProbe:
        made.append(FakeProbe())
        return made[-1]

    first = choose(Tuner(settings, "ingest", key=KEY, cores=2), make)
    assert first.source == "measured" and len(made) == 1 and len(made[0].calls) == 6
    data = json.loads((settings.data_dir / CACHE_NAME).read_text())
    assert data["key"] == KEY and data["version"] == 1
    slot = "ingest|precision=auto|processes=auto|threads=auto|memory=1500"
    assert data["choices"][slot]["precision"] == "float32" and data["choices"][slot]["threads"] == 2

    again = choose(Tuner(settings, "ingest", key=KEY, cores=2), make)
    assert len(made) == 1  # no probe made, nothing timed
    assert again.source == "cache"
    assert (again.precision, again.processes, again.threads) == ("float32", 1, 2)
    assert again.measured == first.measured


def test_a_changed_machine_key_means_measuring_again(settings, monkeypatch):
    _clear_env(monkeypatch)
    choose(Tuner(settings, "ingest", key=KEY, cores=2), FakeProbe)
    other = {**KEY, "torch": "9.9"}
    tuner = Tuner(settings, "ingest", key=other, cores=2)
    assert tuner.known() is None
    probe = FakeProbe()
    choice = choose(tuner, lambda: probe)
    assert choice.source == "measured" and probe.calls
    assert json.loads((settings.data_dir / CACHE_NAME).read_text())["key"]["torch"] == "9.9"


def test_query_and_ingest_choices_live_side_by_side(settings, monkeypatch):
    _clear_env(monkeypatch)
    choose(Tuner(settings, "ingest", key=KEY, cores=2), FakeProbe)
    choose(Tuner(settings, "query", key=KEY, cores=2), FakeProbe)
    slots = json.loads((settings.data_dir / CACHE_NAME).read_text())["choices"]
    assert sorted(slots) == [
        "ingest|precision=auto|processes=auto|threads=auto|memory=1500",
        "query|precision=auto|processes=1|threads=auto",
    ]


def test_a_corrupt_cache_is_ignored_with_a_warning_and_rewritten(settings, monkeypatch, capsys):
    _clear_env(monkeypatch)
    path = settings.data_dir / CACHE_NAME
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    tuner = Tuner(settings, "ingest", key=KEY, cores=2)
    err = capsys.readouterr().err
    assert "warning: ignoring the unreadable calibration cache" in err and "rewritten" in err
    assert tuner.known() is None
    choose(tuner, FakeProbe)
    assert json.loads(path.read_text())["key"] == KEY


def test_a_bad_cached_entry_is_ignored_with_a_warning(settings, monkeypatch, capsys):
    _clear_env(monkeypatch)
    path = settings.data_dir / CACHE_NAME
    path.parent.mkdir(parents=True)
    slot = "ingest|precision=auto|processes=auto|threads=auto|memory=1500"
    bad = {"purpose": "ingest", "precision": "int3", "processes": 1, "threads": 2, "source": "measured"}
    path.write_text(json.dumps({"version": 1, "key": KEY, "choices": {slot: bad}}))
    assert Tuner(settings, "ingest", key=KEY, cores=2).known() is None
    assert "bad entry" in capsys.readouterr().err


def test_a_choice_measured_on_a_busy_machine_is_used_but_not_cached(settings, monkeypatch):
    _clear_env(monkeypatch)
    monkeypatch.setattr("mathtutor.ingest.tuning.current_load", lambda: 4.5)
    choice = choose(Tuner(settings, "ingest", key=KEY, cores=2), FakeProbe)
    assert choice.precision == "float32" and choice.load_avg == 4.5
    assert "not cached: load average 4.5 on 2 cores" in choice.notes["cache"]
    assert "(measured in 0.0 s on a busy machine, not cached; model held once" in choice.describe()
    assert not (settings.data_dir / CACHE_NAME).exists()
    monkeypatch.setattr("mathtutor.ingest.tuning.current_load", lambda: 1.9)
    again = choose(Tuner(settings, "ingest", key=KEY, cores=2), FakeProbe)
    assert again.source == "measured" and again.load_avg == 1.9
    assert (settings.data_dir / CACHE_NAME).exists()


# ---------------------------------------------------------------- settings override


def test_environment_fixing_everything_skips_calibration(tmp_path, monkeypatch):
    monkeypatch.setenv("MATHTUTOR_EMBED_PRECISION", "bfloat16")
    monkeypatch.setenv("MATHTUTOR_EMBED_WORKERS", "1")
    monkeypatch.setenv("MATHTUTOR_EMBED_THREADS", "2")
    settings = Settings(data_dir=tmp_path)

    def never() -> FakeProbe:
        raise AssertionError("nothing should be timed")

    choice = choose(Tuner(settings, "ingest", key=KEY, cores=2), never)
    assert (choice.precision, choice.processes, choice.threads, choice.source) == ("bfloat16", 1, 2, "settings")
    q = choose(Tuner(settings, "query", key=KEY, cores=2), never)
    assert (q.precision, q.threads, q.source) == ("bfloat16", 2, "settings")
    assert not (tmp_path / CACHE_NAME).exists()


def test_environment_fixing_precision_times_only_the_layouts(tmp_path, monkeypatch):
    _clear_env(monkeypatch)
    monkeypatch.setenv("MATHTUTOR_EMBED_PRECISION", "bfloat16")
    probe = FakeProbe()
    choice = choose(Tuner(Settings(data_dir=tmp_path), "ingest", key=KEY, cores=2), lambda: probe)
    assert {c[1] for c in probe.calls} == {"bfloat16"}
    assert choice.precision == "bfloat16"
    slots = json.loads((tmp_path / CACHE_NAME).read_text())["choices"]
    assert list(slots) == ["ingest|precision=bfloat16|processes=auto|threads=auto|memory=1500"]


def test_environment_fixing_threads_times_only_precisions_for_queries(tmp_path, monkeypatch):
    _clear_env(monkeypatch)
    monkeypatch.setenv("MATHTUTOR_EMBED_THREADS", "1")
    probe = FakeProbe(latencies={("bfloat16", 1): 5.0})
    choice = choose(Tuner(Settings(data_dir=tmp_path), "query", key=KEY, cores=2), lambda: probe)
    assert {c[2] for c in probe.calls if c[0] == "latency"} == {1}
    assert (choice.precision, choice.threads) == ("bfloat16", 1)


def test_environment_fixing_workers_keeps_them(tmp_path, monkeypatch):
    _clear_env(monkeypatch)
    monkeypatch.setenv("MATHTUTOR_EMBED_WORKERS", "2")
    probe = FakeProbe({("float32", 1): 5.0, ("bfloat16", 1): 7.0, ("int8", 1): 6.0})
    choice = choose(Tuner(Settings(data_dir=tmp_path), "ingest", key=KEY, cores=2), lambda: probe)
    assert (choice.precision, choice.processes, choice.threads) == ("bfloat16", 2, 1)
    assert choice.measured["bfloat16 2x1"] == 14.0


# ---------------------------------------------------------------- ingest and CLI plumbing


def test_ingest_summary_names_the_choice(capsys):
    from mathtutor.apps.cli import print_ingest_report
    from mathtutor.ingest.pipeline import IngestReport

    report = IngestReport(index_dir="x", files_seen=1, files_new=1, chunks_added=3, chunks_total=3)
    report.embed_precision = "float32"
    report.embed_summary = EmbedChoice("ingest", "float32", 1, 2, "measured", calibration_seconds=4.2).describe()
    print_ingest_report(report, as_json=False)
    assert "Embedding: float32, 1 process x 2 threads (measured in 4.2 s)." in capsys.readouterr().out


def test_sigterm_ends_an_ingest_like_ctrl_c():
    from mathtutor.apps.cli import sigterm_as_interrupt

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_workers_are_never_forked_once_torch_is_loaded(monkeypatch):
    import sys

    from mathtutor.ingest.workers import safe_context

    monkeypatch.setitem(sys.modules, "torch", object())
    assert safe_context().get_start_method() == "spawn"


_ORPHAN_SCRIPT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from mathtutor.ingest.workers import die_with_parent, safe_context

if __name__ == "__main__":
    import threading
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # a threaded parent: no fork
    pool = ProcessPoolExecutor(1, mp_context=safe_context(), initializer=die_with_parent, initargs=(os.getpid(),))
    print(pool.submit(os.getpid).result(), flush=True)
    time.sleep(60)
"""


def test_workers_die_with_their_parent(tmp_path):
    """Without die_with_parent the worker outlives a SIGKILLed parent (checked: this test then fails)."""
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(_ORPHAN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1] / "src"), *sys.path])}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        worker = int(parent.stdout.readline())
        os.kill(worker, 0)  # alive
        parent.kill()  # SIGKILL: the parent runs no clean-up at all
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                break
            with open(f"/proc/{worker}/stat") as fh:  # a zombie awaiting its reaper counts as gone
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.1)
        else:
            pytest.fail(f"worker {worker} outlived its parent")
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_choice_timed_while_other_processes_ran_is_used_but_not_cached(settings, monkeypatch):
    """The load average lags: a calibration at the start of another job reads as quiet by it."""
    _clear_env(monkeypatch)

    class Busy:
        cores = 1.2

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr("mathtutor.ingest.tuning.OtherWork", Busy)
    choice = choose(Tuner(settings, "ingest", key=KEY, cores=2), FakeProbe)
    assert "not cached: other processes kept 1.2 cores busy" in choice.notes["cache"]
    assert not (settings.data_dir / CACHE_NAME).exists()


def test_other_work_is_the_machines_busy_time_minus_this_process():
    busy, own, clock = iter([100.0, 103.0]), iter([5.0, 6.0]), iter([0.0, 2.0])
    with OtherWork(lambda: next(busy), lambda: next(own), lambda: next(clock)) as work:
        pass
    assert work.cores == 1.0  # 3 busy seconds in 2 s, 1 of them ours
    with OtherWork(lambda: None, lambda: 0.0, lambda: 0.0) as unknown:
        pass
    assert unknown.cores is None
