"""Memory as part of the ingest embedding choice: estimates, the budget, its setting and cache slot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mathtutor.ingest.calibration import CACHE_NAME, Constraints, EmbedChoice, probe_batches
from mathtutor.ingest.ingest_choice import PREFER_ONCE, MemoryBase, calibrate_ingest, ingest_layouts, pick
from mathtutor.ingest.machine import OtherWork, children_pss_mb, peak_rss_mb, reset_peak_rss, rss_mb, usable_cores
from mathtutor.ingest.tuning import Tuner, choose
from mathtutor.settings import Settings

KEY = {"cpu": "Test CPU", "cores": 2, "torch": "1", "sentence_transformers": "2", "transformers": "3", "model": "m"}
#: bfloat16 in 2 processes is by far the fastest, but each process peaks at 800 MB (300 MB of it shared files)
RATES = {("float32", 2): 20.0, ("float32", 1): 11.0, ("bfloat16", 2): 40.0, ("bfloat16", 1): 28.0}
PEAKS = {("float32", 2): 760.0, ("float32", 1): 740.0, ("bfloat16", 2): 800.0, ("bfloat16", 1): 790.0}
BASE = MemoryBase(rest_mb=100.0, held_mb=500.0, shared_mb=300.0)


class MemProbe:
    def __init__(self, rates=RATES, peaks=PEAKS):
        self.rates, self.peaks = rates, peaks
        self.calls: list[tuple[str, int]] = []

    def throughput(self, precision, threads, max_seconds):
        self.calls.append((precision, threads))
        vecs = np.eye(12, dtype=np.float32)  # cut short: too few rows for a top-10 comparison
        return self.rates.get((precision, threads), 5.0), vecs, self.peaks.get((precision, threads), 700.0)

    def vectors(self, precision):  # the query sentences; int8's drift away from float32's
        rows = np.random.default_rng(1 if precision == "int8" else 0).standard_normal((24, 16))
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(autouse=True)
def quiet_machine(monkeypatch):
    monkeypatch.setattr("mathtutor.ingest.tuning.current_load", lambda: 0.25)
    monkeypatch.setattr("mathtutor.ingest.tuning.OtherWork", lambda: OtherWork(lambda: None))  # unknown: cached
    for name in ("EMBED_PRECISION", "EMBED_WORKERS", "EMBED_THREADS", "TORCH_THREADS", "EMBED_MEMORY_MB"):
        monkeypatch.delenv(f"MATHTUTOR_{name}", raising=False)


def test_estimates_count_one_model_per_process_and_shared_files_once():
    assert BASE.estimate(1, 800.0) == 900.0  # the parse workers + this process at its peak
    assert BASE.estimate(2, 790.0) == 100.0 + 500.0 + 2 * 490.0  # this process + two workers, files once
    assert BASE.estimate(2, None) is None


def test_the_fastest_layout_over_budget_is_not_chosen():
    c = Constraints(precision="bfloat16", memory_mb=1500)
    choice = calibrate_ingest(MemProbe(), c, cores=2, base=BASE)
    assert choice.memory_mb == {"bfloat16 1x2": 900.0, "bfloat16 1x1": 890.0, "bfloat16 2x1": 1580.0}
    assert choice.measured["bfloat16 2x1"] == 56.0  # 40% faster, but 80 MB over
    assert (choice.precision, choice.processes, choice.threads) == ("bfloat16", 1, 2)
    assert choice.notes["choice"] == "fastest of 2 within 1500 MB (1 over)"
    assert choice.memory_budget_mb == 1500
    assert "est. 900 MB peak, budget 1,500 MB; fastest of 2 within 1500 MB (1 over)" in choice.describe()


def test_a_larger_budget_lets_the_processes_win():
    choice = calibrate_ingest(MemProbe(), Constraints(precision="bfloat16", memory_mb=2000), cores=2, base=BASE)
    assert (choice.processes, choice.threads) == (2, 1) and "choice" not in choice.notes


def test_every_precision_is_timed_at_both_thread_counts_and_the_fastest_fitting_wins():
    probe = MemProbe()
    choice = calibrate_ingest(probe, Constraints(memory_mb=1500), cores=2, base=BASE)
    assert sorted(probe.calls) == sorted([(p, t) for p in ("float32", "bfloat16", "int8") for t in (2, 1)])
    assert (choice.precision, choice.processes, choice.threads) == ("bfloat16", 1, 2)


def test_int8_cut_short_is_judged_on_the_query_sentences_not_on_a_trivial_overlap():
    fast_int8 = {**RATES, ("int8", 2): 90.0, ("int8", 1): 50.0}
    choice = calibrate_ingest(MemProbe(fast_int8), Constraints(memory_mb=1500), cores=2, base=BASE)
    assert choice.precision != "int8" and "rejected" in choice.notes["int8"]
    assert "(on the query sentences: too few probe chunks embedded at both precisions)" in choice.notes["int8"]


def test_nothing_fits_the_smallest_is_run_and_said_so():
    choice = calibrate_ingest(MemProbe(), Constraints(precision="float32", memory_mb=500), cores=2, base=BASE)
    assert (choice.processes, choice.threads) == (1, 1)
    assert choice.notes["choice"] == "no candidate fits the 500 MB budget: the smallest, est. 840 MB"


def test_without_memory_figures_speed_alone_decides():
    choice = calibrate_ingest(MemProbe(), Constraints(precision="bfloat16", memory_mb=1500), cores=2, base=None)
    assert (choice.processes, choice.threads) == (2, 1) and choice.memory_mb == {}


def test_the_model_held_once_wins_within_ten_percent():
    speed = {("bfloat16", 1, 2): 50.0, ("bfloat16", 2, 1): 50.0 * PREFER_ONCE + 0.1}
    mem = dict.fromkeys(speed, 100.0)
    assert pick(speed, mem, None)[0] == ("bfloat16", 2, 1)
    speed[("bfloat16", 2, 1)] = 50.0 * PREFER_ONCE - 0.1
    key, why = pick(speed, mem, None)
    assert key == ("bfloat16", 1, 2) and why.startswith("model held once: 91% of the fastest")


def test_layouts_include_one_thread_in_process():
    assert ingest_layouts(Constraints(), 2) == [(1, 2), (1, 1), (2, 1)]
    assert ingest_layouts(Constraints(), 1) == [(1, 1)]
    assert ingest_layouts(Constraints(processes=2), 2) == [(2, 1)]


def test_probe_batches_group_similar_lengths_from_the_median_out():
    texts = ["x" * n for n in range(1, 41)]
    batches = probe_batches(texts, 8)
    assert [len(b) for b in batches] == [8] * 5
    assert all(max(map(len, b)) - min(map(len, b)) == 7 for b in batches)  # neighbours in length
    assert [len(b[0]) for b in batches] == [17, 25, 9, 33, 1]  # the median batch first, then outwards


# ---------------------------------------------------------------- the setting and the cache


def test_memory_budget_comes_from_the_environment_and_keys_the_cache(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path)
    assert settings.embed_memory_mb == 1500
    first = choose(Tuner(settings, "ingest", key=KEY, cores=2), MemProbe, memory=lambda: BASE)
    assert (first.processes, first.threads) == (1, 2)

    monkeypatch.setenv("MATHTUTOR_EMBED_MEMORY_MB", "2500")
    bigger = Settings(data_dir=tmp_path)
    assert bigger.embed_memory_mb == 2500
    tuner = Tuner(bigger, "ingest", key=KEY, cores=2)
    assert tuner.known() is None  # a choice made for 1.5 GB is not reused for 2.5 GB
    second = choose(tuner, MemProbe, memory=lambda: BASE)
    assert (second.processes, second.threads) == (2, 1)
    slots = json.loads((tmp_path / CACHE_NAME).read_text())["choices"]
    assert sorted(slots) == [
        "ingest|precision=auto|processes=auto|threads=auto|memory=1500",
        "ingest|precision=auto|processes=auto|threads=auto|memory=2500",
    ]
    cached = Tuner(bigger, "ingest", key=KEY, cores=2).known()
    assert cached is not None and cached.source == "cache" and cached.memory_mb == second.memory_mb
    assert cached.memory_budget_mb == 2500
    monkeypatch.setenv("MATHTUTOR_EMBED_MEMORY_MB", "100")
    with pytest.raises(ValueError):
        Settings()


def test_a_choice_round_trips_with_its_memory_figures():
    c = EmbedChoice("ingest", "bfloat16", 1, 2, "measured", "chunks/s", {"bfloat16 1x2": 40.0})
    c.memory_mb, c.memory_budget_mb = {"bfloat16 1x2": 900.0}, 1500
    assert EmbedChoice.from_dict(json.loads(json.dumps(c.to_dict()))) == c


# ---------------------------------------------------------------- reading memory


def test_peak_rss_can_be_restarted_and_sees_a_new_allocation():
    assert reset_peak_rss()
    before = peak_rss_mb()
    rss = rss_mb()
    assert before is not None and rss is not None and rss[1] <= rss[0]
    block = np.ones(64 * 2**20 // 8)  # 64 MB, touched
    assert peak_rss_mb() >= before + 60
    del block


def test_children_pss_counts_a_child_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(40 * 2**20); time.sleep(5)"])
    try:
        deadline = time.monotonic() + 4
        while children_pss_mb() < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert children_pss_mb() >= 40
    finally:
        child.kill()
        child.wait()


_FREED = """
import sys
from mathtutor.ingest.embedding import return_freed_memory
from mathtutor.ingest.machine import rss_mb
big = bytearray(30 * 2**20)
del big  # one big block freed: by default glibc then serves blocks below 30 MB from the heap
blocks, pins = [], []
for _ in range(4):
    blocks.append(bytearray(16 * 2**20))
    pins.append([bytearray(4096) for _ in range(64)])  # live blocks after each: the heap cannot shrink past them
held = rss_mb()[0]
del blocks
if sys.argv[1] == "on":
    assert return_freed_memory()
print(round(held - rss_mb()[0]))
"""


def _freed_mb(mode: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run([sys.executable, "-c", _FREED, mode], capture_output=True, text=True, env=env, check=True)
    return int(done.stdout)


def test_freed_activation_sized_blocks_go_back_to_the_system():
    assert _freed_mb("off") < 16  # glibc's default: the freed 64 MB stays resident
    assert _freed_mb("on") >= 60  # return_freed_memory (malloc_trim) gives the free pages back


# ---------------------------------------------------------------- with the real model


def _notes_folder(root: Path, n: int = 24) -> Path:
    d = root / "notes"
    d.mkdir()
    topics = ["eigenvalues", "gradients", "probability", "matrices", "optimisation", "statistics"]
    for i in range(n):
        t = topics[i % len(topics)]
        body = " ".join(f"Sentence {j} of note {i} explains one idea about {t} in plain words." for j in range(12))
        (d / f"note{i:02d}.md").write_text(f"# Note {i} on {t}\n\n{body}\n")
    return d


@pytest.mark.slow
def test_first_ingest_measures_and_the_next_reuses(tmp_path, monkeypatch, capsys):
    from mathtutor.apps.cli import main

    monkeypatch.setenv("MATHTUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MATHTUTOR_PARSE_WORKERS", "0")
    folder = _notes_folder(tmp_path)
    index = tmp_path / "index"
    assert main(["ingest", str(folder), "--index", str(index), "--no-progress"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("Embedding: "))
    assert "(measured in " in line and " x " in line and "MB peak, budget 1,500 MB" in line
    cached = json.loads((tmp_path / "data" / CACHE_NAME).read_text())
    (slot,) = cached["choices"]
    assert slot.endswith("|memory=1500")
    choice = cached["choices"][slot]
    cores = usable_cores()
    assert f"float32 1x{cores}" in choice["measured"] and "float32 1x1" in choice["measured"]
    assert f"bfloat16 1x{cores}" in choice["measured"]  # every precision in every layout, or said why not
    assert f"int8 1x{cores}" in choice["measured"] or "rejected" in choice["notes"]["int8"]
    label = f"{choice['precision']} {choice['processes']}x{choice['threads']}"
    assert choice["memory_budget_mb"] == 1500 and 200 < choice["memory_mb"][label] <= 1500
    assert set(choice["memory_mb"]) == set(choice["measured"])
    assert choice["calibration_seconds"] > 0 and choice["load_avg"] == 0.25  # budget: see the fake-clock test
    manifest = json.loads(next(index.rglob("manifest.json")).read_text())
    assert manifest["embed_config"]["precision"] == choice["precision"]

    (folder / "extra.md").write_text("# Extra\n\nOne more note about the trace of a matrix.\n")
    assert main(["ingest", str(folder), "--index", str(index), "--no-progress"]) == 0
    assert "(measured earlier on this machine; est. " in capsys.readouterr().out
