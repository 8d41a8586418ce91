"""Sign-in, practice, progress and import on a live server, and that one learner never reaches another's data.

The server runs on loopback with its own SQLite learner store and data folder (temp dirs). Its tutor is
a minimal stand-in that fails the test if asked anything: these tests exercise only the learner parts
(practice, accounts, progress), which never consult the tutor; the chat itself is tested in test_ui.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from llm_servers import free_port
from mathtutor import practice
from mathtutor.apps.ui.accounts import NOT_SAVED, Learners
from mathtutor.apps.ui.sessions import owner_key
from mathtutor.learning import LearnerStore
from mathtutor.settings import Settings

PASSWORDS = {"ann": "ann-password-1", "bob": "bob-password-1"}


class NoTutor:
    """Only what building the page reads; any question would fail loudly."""

    embedder = None

    def __init__(self, index_dir: Path) -> None:
        self.settings = Settings(index_dir=index_dir)

    def status(self) -> dict:
        return {"chunks": 0, "formats": {}, "resources": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from mathtutor.apps.ui.app import build_app, launch

    root = tmp_path_factory.mktemp("learners")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATHTUTOR_DATA_DIR", str(root / "data"))
        mp.setenv("MATHTUTOR_DATABASE_URL", f"sqlite:///{root / 'learners.sqlite'}")
        store = LearnerStore(url=f"sqlite:///{root / 'learners.sqlite'}", data_dir=root / "data")  # env is cached
        for name, pw in PASSWORDS.items():
            store.create_user(name, pw)
        demo = build_app(lambda: NoTutor(root / "index"), data_dir=root / "data", learners=Learners(store))
        url = launch(demo, port=free_port(), block=False)
        assert url.startswith("http://127.0.0.1:")
        yield SimpleNamespace(url=url, store=store, demo=demo)
        demo.close()


def _client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False, analytics_enabled=False, download_files=False)


def _signed_in(server, name: str):
    c = _client(server)
    token, line, note, _ = c.predict(name, PASSWORDS[name], api_name="/sign_in")  # the State output is not sent
    assert line == f"👤 Signed in as **{name}**." and note == "" and len(token) >= 32
    return c, token


def _attempts(server, name: str) -> list[dict]:
    return server.store.for_learner(name).attempts()


def test_wrong_password_or_another_learners_name_signs_no_one_in(server) -> None:
    c = _client(server)
    token, _line, note, _ = c.predict("ann", PASSWORDS["bob"], api_name="/sign_in")
    assert token == {"__type__": "update"} and note.startswith("⚠️ That name and password do not match")  # no token
    token, _line, note, _ = c.predict("nobody", "whatever-pw", api_name="/sign_in")
    assert token == {"__type__": "update"} and note.startswith("⚠️ That name and password do not match")  # no token
    message = c.predict(api_name="/progress")[0]
    assert "Sign in" in message and "ann" not in message


def test_practice_is_recorded_for_the_signed_in_learner_only(server) -> None:
    ann, _ = _signed_in(server, "ann")
    bob, _ = _signed_in(server, "bob")
    before_bob = len(_attempts(server, "bob"))
    md, *_ = ann.predict("chain-rule", "beginner", api_name="/practice_new")
    assert md.startswith("**Chain rule** · beginner")
    assert ann.predict("x^2 +", api_name="/practice_preview").startswith("⚠️")
    feedback, saved = ann.predict("0", api_name="/practice_check")
    assert feedback.startswith("❌ Not quite.") and saved.startswith("📈 Saved to your progress")
    assert ann.predict(api_name="/practice_hint").startswith("**Hint 2/")
    ann_attempts = _attempts(server, "ann")
    assert [a["concept"] for a in ann_attempts][-1] == "chain-rule" and not ann_attempts[-1]["correct"]
    assert len(_attempts(server, "bob")) == before_bob  # nothing of ann's went to bob

    table = ann.predict(api_name="/progress")[2]
    assert "| Chain rule |" in table
    bob_view = bob.predict(api_name="/progress")
    assert bob_view[0].startswith("**bob**") and "Chain rule" not in bob_view[2]
    assert "ann" not in json.dumps(bob_view)


def test_a_state_from_another_learner_counts_for_whoever_checks_it(server) -> None:
    """States carry no identity: bob checking ann's problem records for bob, never for ann."""
    problem = practice.make_problem("svd", "beginner", 3)
    answer = practice.solution(problem).answer
    bob, _ = _signed_in(server, "bob")
    ann_before = len(_attempts(server, "ann"))
    bob.predict("svd", "beginner", api_name="/practice_new")  # bob's own state is server-side; his check uses it
    feedback, saved = bob.predict(answer, api_name="/practice_check")
    assert saved.startswith("📈") and feedback.startswith(("✅", "❌"))
    assert len(_attempts(server, "ann")) == ann_before
    assert _attempts(server, "bob")[-1]["concept"] == "svd"


def test_a_forged_token_in_a_crafted_request_reaches_nothing(server) -> None:
    """The token input is server-side state: a request that supplies one is ignored, so nothing is shown."""
    _, ann_token = _signed_in(server, "ann")
    with httpx.Client(trust_env=False, timeout=60) as http:
        for forged in (ann_token, "forged-token-" + "x" * 30):
            r = http.post(f"{server.url}gradio_api/call/progress", json={"data": [forged]})
            assert r.status_code == 200, r.text
            event_id = r.json()["event_id"]
            body = http.get(f"{server.url}gradio_api/call/progress/{event_id}").text
            assert "Sign in" in body and "**ann**" not in body and "Chain rule" not in body, body
            r = http.post(f"{server.url}gradio_api/call/set_goal", json={"data": [forged, "PCA"]})
            event_id = r.json()["event_id"]
            assert "Sign in" in http.get(f"{server.url}gradio_api/call/set_goal/{event_id}").text
    assert server.store.for_learner("ann").goal() == (None, [])
    # the store itself refuses the forged token; the real one still works until sign-out
    assert server.store.session_learner("forged-token-" + "x" * 30) is None
    assert server.store.session_learner(ann_token) == "ann"


def test_sign_out_ends_the_session_everywhere(server) -> None:
    ann, token = _signed_in(server, "ann")
    assert ann.predict(api_name="/progress")[0].startswith("**ann**")
    token_after, line, note, _ = ann.predict(api_name="/sign_out")
    assert token_after == "" and note == "Signed out." and "Not signed in" in line
    assert server.store.session_learner(token) is None
    assert "Sign in" in ann.predict(api_name="/progress")[0]


def test_goal_and_import_refuse_bad_files_with_a_reason(server, tmp_path: Path) -> None:
    from gradio_client import handle_file

    ann, _ = _signed_in(server, "ann")
    view = ann.predict("PCA", api_name="/set_goal")
    assert view[0].startswith("🎯 Goal set: Principal component analysis") and view[4] == "PCA"
    assert "1. **" in view[3]  # what next, with reasons
    bad = tmp_path / "progress.json"
    bad.write_text("{not json", encoding="utf-8")
    assert ann.predict(handle_file(str(bad)), api_name="/import_progress")[0].startswith("⚠️ Not imported:")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"pad": "x" * 5_100_000}), encoding="utf-8")
    message = ann.predict(handle_file(str(big)), api_name="/import_progress")[0]
    assert "over the 5 MB limit" in message
    # a good file: bob's export imported into ann's progress adds bob's attempts to ann only
    export = tmp_path / "export.json"
    export.write_text(server.store.for_learner("bob").export_json(), encoding="utf-8")
    bob_count = len(_attempts(server, "bob"))
    message = ann.predict(handle_file(str(export)), api_name="/import_progress")[0]
    assert message.startswith("📥 Imported") and len(_attempts(server, "bob")) == bob_count


def test_import_refuses_a_file_that_was_not_uploaded(tmp_path: Path) -> None:
    from mathtutor.apps.ui.progress_panel import import_file

    secret = tmp_path / "elsewhere" / "notes.json"
    secret.parent.mkdir()
    secret.write_text("{}")
    handle = SimpleNamespace(import_progress=lambda data: pytest.fail("must not be read"))
    assert import_file(handle, str(secret), tmp_path / "cache", set()).startswith("⚠️ Not imported: this is not a file")


def test_owner_key_follows_the_signed_in_learner() -> None:
    names = {"s1": "ann"}
    req = SimpleNamespace(username=None, session_hash="s1")
    assert owner_key(req, names.get) == "user:ann"
    assert owner_key(SimpleNamespace(username=None, session_hash="s2"), names.get) == "session:s2"
    assert owner_key(SimpleNamespace(username="alice", session_hash="s1"), names.get) == "user:alice"


def test_unreachable_database_keeps_practice_working(tmp_path: Path) -> None:
    from mathtutor.apps.ui import practice_panel as pp
    from mathtutor.apps.ui.progress_panel import progress_view

    port = free_port()
    store = LearnerStore(url=f"postgresql+psycopg://u:p@127.0.0.1:{port}/x", data_dir=tmp_path)
    learners = Learners(store)
    token, message = learners.sign_in("ann", "ann-password-1", "s1")
    assert token is None and "unreachable" in message
    problem = practice.make_problem("chain-rule", "beginner", 7)
    md, _, attempt = pp.check_markdown(problem.state, "15(3x-5)^4")
    assert md.startswith("✅ Correct!") and attempt is not None  # still checked
    with pytest.raises(Exception, match="not being saved"):
        learners.handle("", "ann")
    view = progress_view(None, NOT_SAVED)
    assert "Sign in" in view.message
