"""Real servers: ``aimass serve`` in a subprocess speaking HTTP on 127.0.0.1, and two server
processes sharing one PostgreSQL database behaving as one service."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from servers import running_server

from aimass.storage import pgtemp
from aimass.storage.store import Store


@pytest.mark.slow
def test_aimass_serve_answers_over_http(artifact: Path, tmp_path: Path) -> None:
    db = tmp_path / "svc.db"
    store = Store(f"sqlite:///{db}")
    _, token = store.create_key("client")
    store.close()
    with running_server(artifact, str(db), home=tmp_path) as server:
        base = server.url
        h = {"Authorization": f"Bearer {token}"}
        r = httpx.post(
            base + "/v1/turns", json={"message": "我想退货怎么办"}, headers=h, timeout=30
        )
        assert r.status_code == 200 and r.json()["intent"]["name"] == "return_item"
        assert httpx.post(base + "/v1/turns", json={"message": "hi"}, timeout=30).status_code == 401
        assert "aimass_requests_total" in httpx.get(base + "/metrics", timeout=30).text
        assert httpx.get(base + "/widget/", timeout=30).status_code == 200


@pytest.mark.slow
def test_two_servers_on_one_postgres_database_are_one_service(
    artifact: Path, tmp_path: Path, pg_cluster: pgtemp.Cluster
) -> None:
    url = pg_cluster.new_database("two")
    store = Store(url)
    _, client = store.create_key("client")
    _, agent = store.create_key("agent")
    _, admin = store.create_key("admin")
    store.close()
    poll = {"AIMASS_CONTENT_POLL_S": "0"}
    artifact = Path(shutil.copytree(artifact, tmp_path / "model"))  # FAQ edits persist there
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        running_server(artifact, url, home=tmp_path / "a", env=poll) as server_a,
        running_server(artifact, url, home=tmp_path / "b", env=poll) as server_b,
    ):
        a, b = server_a.url, server_b.url
        c = {"Authorization": f"Bearer {client}"}
        first = httpx.post(
            a + "/v1/turns",
            json={"message": "我想退货怎么办", "user_id": "pg-u"},
            headers=c,
            timeout=30,
        ).json()
        sid = first["session_id"]
        second = httpx.post(
            b + "/v1/turns",
            json={"message": "转人工", "session_id": sid, "user_id": "pg-u"},
            headers=c,
            timeout=30,
        ).json()
        assert second["session_id"] == sid
        g = {"Authorization": f"Bearer {agent}"}
        conv = httpx.get(f"{a}/v1/conversations/{sid}", headers=g, timeout=30).json()
        assert conv["turns"] == 2
        assert [m["text"] for m in conv["messages"] if m["role"] == "user"] == [
            "我想退货怎么办",
            "转人工",
        ]
        if second["handoff_id"]:  # the hand-off made on B is in A's queue, claimed once
            hid = second["handoff_id"]
            assert hid in {h["id"] for h in httpx.get(a + "/v1/handoffs", headers=g).json()}
            assert httpx.post(f"{a}/v1/handoffs/{hid}/claim", headers=g).status_code == 200
            assert httpx.post(f"{b}/v1/handoffs/{hid}/claim", headers=g).status_code in (200, 409)
        prof = httpx.get(b + "/v1/users/pg-u/profile", headers=g, timeout=30).json()
        assert prof["turns"] == 2
        # an FAQ edited through A answers on B without a restart
        faq = {
            "id": "gift-wrap",
            "questions": ["can you gift wrap my order"],
            "answers": {"en": "Yes, gift wrapping is free."},
        }
        put = httpx.put(
            a + "/v1/admin/faqs/gift-wrap",
            json=faq,
            headers={"Authorization": f"Bearer {admin}"},
            timeout=30,
        )
        assert put.status_code == 200 and put.json()["live"] is True
        hits = httpx.get(
            b + "/v1/faqs/search",
            params={"q": "can you gift wrap my order"},
            headers=c,
            timeout=30,
        ).json()
        assert hits[0]["faq_id"] == "gift-wrap"


@pytest.mark.slow
def test_sigkill_during_a_feedback_burst_loses_no_acknowledged_feedback(
    artifact: Path, tmp_path: Path
) -> None:
    """A 201 means the feedback is committed: kill -9 in the middle of a burst, then every
    acknowledged id is in the database."""
    db = tmp_path / "svc.db"
    store = Store(f"sqlite:///{db}")
    _, token = store.create_key("client")
    store.close()
    h = {"Authorization": f"Bearer {token}"}
    acked: list[int] = []
    lock = threading.Lock()
    with running_server(artifact, str(db), home=tmp_path) as server:
        turn = httpx.post(server.url + "/v1/turns", json={"message": "hi"}, headers=h, timeout=30)
        turn_id = turn.json()["turn_id"]
        stop = threading.Event()

        def burst() -> None:
            with httpx.Client(timeout=10) as c:
                while not stop.is_set():
                    try:
                        r = c.post(
                            server.url + "/v1/feedback",
                            json={"turn_id": turn_id, "kind": "thumbs", "value": "up"},
                            headers=h,
                        )
                    except httpx.HTTPError:
                        return  # the server is gone
                    if r.status_code == 201:
                        with lock:
                            acked.append(r.json()["id"])

        threads = [threading.Thread(target=burst) for _ in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(server.proc.pid, signal.SIGKILL)  # mid-burst, no clean shutdown
        server.proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert len(acked) >= 40
    after = Store(f"sqlite:///{db}")
    stored = {f["id"] for f in after.feedback_for(turn_id)}
    after.close()
    assert set(acked) <= stored
