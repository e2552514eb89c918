"""Real servers: ``aimass serve`` in a subprocess speaking HTTP on 127.0.0.1, and two server
processes sharing one PostgreSQL database behaving as one service."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aimass.storage import pgtemp
from aimass.storage.store import Store
from servers import running_server


@pytest.mark.slow
def test_aimass_serve_answers_over_http(artifact: Path, tmp_path: Path) -> None:
    db = tmp_path / "svc.db"
    store = Store(f"sqlite:///{db}")
    _, token = store.create_key("client")
    store.close()
    with running_server(artifact, str(db), home=tmp_path) as base:
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
    store.close()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        running_server(artifact, url, home=tmp_path / "a") as a,
        running_server(artifact, url, home=tmp_path / "b") as b,
    ):
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
