"""The findings API on SQLite and PostGIS: the seeds' figures through HTTP, the shapes of its answers,
photos, retries, and hostile input answered with a clear 4xx that writes nothing."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from PIL import Image

from conftest import GEODATA
from webtools import png_bomb, seed_park
from webtools import table_counts as row_counts

API = "/api/v1"
SOON = (date.today() + timedelta(days=10)).isoformat()


@pytest.fixture
def site(engine, app_factory, tmp_path):
    from gridmgr import services

    park = seed_park(engine, tmp_path)
    app = app_factory()
    ids = {u.username: u.id for u in services.list_users(engine)}
    tokens = {
        u: {"Authorization": f"Bearer {services.issue_token(engine, ids[u])}"}
        for u in ("manager", "planner", "warden1", "warden2")
    }
    return app, app.test_client(), tokens, park


def jpeg(size=(120, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


def error_of(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


def post_finding(client, headers, slug, code, **body):
    return client.post(f"{API}/areas/{slug}/cells/{code}/findings", headers=headers, json=body)


def test_the_seeds_figures_through_the_api(site, engine):
    from gridmgr import services

    _, client, tok, park = site
    cats = [c["key"] for c in client.get(f"{API}/categories", headers=tok["warden1"]).get_json()]
    assert len(cats) == 10
    deadline_ids = []
    for k in range(44):
        plan = (
            {"fixed_now": True, "note": "当场整改"}
            if k < 39
            else {"deadline": SOON, "unit": "物业公司", "person": "warden1"}
        )
        got = post_finding(client, tok["manager"], park.slug, park.codes[k % 10],
                           category=cats[k % 10], text=f"问题 {k}", **plan)  # fmt: skip
        assert got.status_code == 201, got.get_data(as_text=True)
        if k >= 39:
            deadline_ids.append(got.get_json()["id"])
    led = client.get(f"{API}/areas/{park.slug}/ledger", headers=tok["planner"]).get_json()
    assert (led["found"], led["fixed_on_spot"], led["with_deadline"], led["rectified"]) == (
        44, 39, 5, 39,
    )  # fmt: skip
    assert led["rate"] == 0.886 and led["open"] == 5 and led["overdue"] == 0
    assert {"category", "found", "rectified"} <= set(led["by_category"][0])
    for fid in deadline_ids:
        fixed = client.post(
            f"{API}/findings/{fid}/fix", headers=tok["warden1"], json={"note": "好了"}
        )
        assert fixed.status_code == 200 and fixed.get_json()["status"] == "fixed"
        closed = client.post(f"{API}/findings/{fid}/close", headers=tok["manager"])
        assert closed.get_json()["status"] == "closed"
    led = client.get(f"{API}/areas/{park.slug}/ledger", headers=tok["manager"]).get_json()
    assert led["rate"] == 1.0
    # Yichun: 158 found, 145 rectified
    other = services.add_area(engine, GEODATA / "demo_community.geojson", name="Yichun").slug
    services.grid(engine, other, count=6)
    codes = list(services.plan_cells(engine, other)["code"])
    for k in range(158):
        got = post_finding(client, tok["manager"], other, codes[k % 6], category="other",
                           text=f"p{k}", deadline=SOON, unit="u", person="p")  # fmt: skip
        if k < 145:
            client.post(f"{API}/findings/{got.get_json()['id']}/close", headers=tok["manager"])
    led = client.get(f"{API}/areas/{other}/ledger", headers=tok["manager"]).get_json()
    assert (led["found"], led["rectified"], led["rate"]) == (158, 145, 0.918)
    listed = client.get(f"{API}/areas/{other}/findings?status=open", headers=tok["manager"])
    assert listed.headers["X-Total-Count"] == "13" and len(listed.get_json()) == 13


def test_record_replay_list_and_a_wardens_view(site):
    _, client, tok, park = site
    body = {"category": "口罩佩戴", "text": "入口无人检查", "deadline": SOON, "unit": "保安部",
            "person": "warden1"}  # fmt: skip
    url = f"{API}/areas/{park.slug}/cells/{park.codes[0]}/findings"
    key = {"Idempotency-Key": "phone-1-0001"}
    made = client.post(url, headers=tok["warden1"] | key, json=body)
    assert made.status_code == 201, made.get_data(as_text=True)
    finding = made.get_json()
    assert finding["status"] == "open" and finding["category"] == "masks"
    assert finding["found_by"] == "warden1" and finding["cell"] == park.codes[0]
    assert made.headers["Location"] == f"{API}/findings/{finding['id']}"
    again = client.post(url, headers=tok["warden1"] | key, json=body)
    assert again.status_code == 200 and again.get_json()["id"] == finding["id"]
    assert error_of(client.post(url, headers=tok["warden1"] | key, json=body | {"text": "x"}), 409)
    listed = client.get(f"{API}/areas/{park.slug}/findings?per_page=1", headers=tok["planner"])
    assert listed.headers["X-Total-Count"] == "1" and "Link" not in listed.headers
    assert listed.get_json()[0]["id"] == finding["id"]
    mine = client.get(f"{API}/me/findings", headers=tok["warden1"]).get_json()
    assert [f["id"] for f in mine] == [finding["id"]]
    assert client.get(f"{API}/me/findings", headers=tok["warden2"]).get_json() == []
    assert client.get(f"{API}/areas/{park.slug}/findings", headers=tok["warden2"]).get_json() == []
    assert error_of(client.get(f"{API}/findings/{finding['id']}", headers=tok["warden2"]), 403)
    shown = client.get(f"{API}/findings/{finding['id']}", headers=tok["warden1"]).get_json()
    assert [e["action"] for e in shown["events"]] == ["recorded"]


def test_photos_are_served_without_exif_to_who_may_see_them(site):
    _, client, tok, park = site
    made = post_finding(client, tok["warden1"], park.slug, park.codes[0], category="waste",
                        text="垃圾", deadline=SOON, unit="物业", person="warden1").get_json()  # fmt: skip
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 45.0, 0.0), 3: "E", 4: (126.0, 38.0, 0.0)}
    raw = io.BytesIO()
    Image.new("RGB", (2400, 1800), (1, 2, 3)).save(raw, format="JPEG", exif=exif)
    got = client.post(
        f"{API}/findings/{made['id']}/photos", headers=tok["warden1"],
        data={"file": (io.BytesIO(raw.getvalue()), "IMG_1.jpg")}, content_type="multipart/form-data",
    )  # fmt: skip
    assert got.status_code == 201, got.get_data(as_text=True)
    photo = got.get_json()
    assert (photo["width"], photo["height"], photo["stage"]) == (1600, 1200, "found")
    for who in ("manager", "planner", "warden1"):
        full = client.get(photo["url"], headers=tok[who])
        assert full.status_code == 200 and full.mimetype == "image/jpeg"
        assert b"Exif" not in full.data and not Image.open(io.BytesIO(full.data)).getexif()
    thumb = client.get(photo["thumb_url"], headers=tok["planner"])
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 320
    assert error_of(client.get(photo["url"], headers=tok["warden2"]), 403)
    from gridmgr.db.models import Photo
    from gridmgr.db.store import reading

    with reading(client.application.extensions["gridmgr.engine"]) as s:
        kept = s.get(Photo, photo["id"])
        assert kept.exif_lat == pytest.approx(45.75) and kept.exif_lon == pytest.approx(
            126.6333, abs=1e-3
        )


def test_hostile_input_gets_a_clear_4xx_and_writes_nothing(site, engine):
    """Image bombs, truncated images, polyglots, a 100 MB body, 100,000-character texts, unknown
    categories, NUL and control characters, a cell of another area, a warden closing its own
    finding: each a 4xx with the error shape, and the tables as they were."""
    from gridmgr import services

    _, client, tok, park = site
    made = post_finding(client, tok["warden1"], park.slug, park.codes[0], category="waste",
                        text="垃圾", deadline=SOON, unit="物业", person="warden1").get_json()  # fmt: skip
    other = services.add_area(engine, GEODATA / "demo_community.geojson", name="Elsewhere").slug
    services.grid(engine, other, count=4)
    photos = f"{API}/findings/{made['id']}/photos"
    whole = jpeg((800, 600))

    def upload(data: bytes, name: str):
        return client.post(photos, headers=tok["warden1"], data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")  # fmt: skip

    cell = f"{API}/areas/{park.slug}/cells/{park.codes[0]}/findings"
    ok = {"category": "masks", "text": "x", "fixed_now": True}
    cases = [
        (lambda: upload(png_bomb(40_000, 40_000), "bomb.png"), 422, "million pixels"),
        (lambda: upload(whole[: len(whole) // 3], "cut.jpg"), 422, "damaged or cut short"),
        (lambda: upload(b"<html><script>alert(1)</script>", "x.jpg"), 422, "JPEG, PNG, WebP or HEIC"),
        (lambda: upload(b"GIF89a" + bytes(100), "x.gif"), 422, "JPEG, PNG, WebP or HEIC"),
        (lambda: client.post(photos, headers=tok["warden1"], data=b"0" * (100 * 1024 * 1024),
                             content_type="multipart/form-data; boundary=x"), 413, "MB"),
        (lambda: client.post(cell, headers=tok["warden1"], json=ok | {"text": "长" * 100_000}),
         422, "at most 4,000 characters"),
        (lambda: client.post(cell, headers=tok["warden1"], json=ok | {"category": "烟花"}),
         422, "unknown category '烟花'"),
        (lambda: client.post(cell, headers=tok["warden1"], json=ok | {"text": "a\u0000b"}),
         422, "NUL character"),
        (lambda: client.post(cell, headers=tok["warden1"], json=ok | {"text": "a\u001bb"}),
         422, "control character"),
        (lambda: client.post(cell, headers=tok["warden1"], json=ok | {"fixed_now": "yes"}),
         422, '"fixed_now" must be true or false'),
        (lambda: client.post(cell, headers=tok["warden1"], data=b"{not json",
                             content_type="application/json"), 400, "not valid JSON"),
        (lambda: post_finding(client, tok["manager"], other, park.codes[0], **ok),
         404, "has no cell"),
        (lambda: post_finding(client, tok["warden1"], park.slug, park.codes[1], **ok),
         403, "you do not hold cell"),
        (lambda: client.post(f"{API}/findings/{made['id']}/close", headers=tok["warden1"]),
         403, "this needs the role manager"),
        (lambda: client.post(f"{API}/findings/{made['id']}/fix", headers=tok["warden2"]),
         403, "responsible person"),
        (lambda: client.post(f"{API}/findings/{made['id']}/extend", headers=tok["manager"],
                             json={"deadline": "someday", "reason": "x"}), 422, "not a date"),
        (lambda: client.post(f"{API}/findings/{made['id']}/reopen", headers=tok["manager"]),
         409, "cannot be reopened"),
        (lambda: client.post(f"{API}/findings/99999999999/close", headers=tok["manager"]),
         404, "no finding"),
    ]  # fmt: skip
    before = row_counts(engine)
    for call, status, words in cases:
        got = call()
        err = error_of(got, status)
        assert words in err["message"], (words, err)
        assert row_counts(engine) == before, words
    # the same server answers normally afterwards
    assert upload(whole, "fine.jpg").status_code == 201


def test_categories_added_over_the_api_by_managers_only(site):
    _, client, tok, _ = site
    url = f"{API}/categories"
    assert error_of(client.post(url, headers=tok["planner"], json={"names": ["x"]}), 403)
    got = client.post(url, headers=tok["manager"], json={"names": ["Fire exits=消防通道", "Masks"]})
    assert got.status_code == 201
    assert [c["key"] for c in got.get_json()] == ["fire_exits", "masks"]
    assert len(client.get(url, headers=tok["warden1"]).get_json()) == 11
    assert json.loads(client.get(url, headers=tok["manager"]).data)[-1]["name_zh"] == "消防通道"
