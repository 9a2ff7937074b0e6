"""The interface in Simplified Chinese and English: locale choice, the switch, and a complete catalog."""

from __future__ import annotations

import html
import io
import re
import string
import subprocess
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gridmgr.web import i18n

from conftest import GEODATA, ROOT
from webtools import PASSWORD, api_token, csrf_of, login, seed_park

DATA = ROOT / "tests" / "data"
TRANSLATIONS = ROOT / "translations"
CATALOG = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"
ZH_HEADERS = "zh-CN,zh;q=0.9,en;q=0.5"


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path)
    return app_factory(), seeded


def _client(app, accept: str | None = ZH_HEADERS):
    client = app.test_client()
    if accept:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    return client


@pytest.mark.parametrize(
    ("header", "cookie", "want"),
    [
        (None, None, "en"),
        ("zh-CN,zh;q=0.9", None, "zh-CN"),
        ("zh-TW", None, "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", None, "en"),
        ("fr;q=1, zh;q=0.5", None, "zh-CN"),
        ("de", None, "en"),
        ("zh-CN", "en", "en"),
        ("en", "zh-CN", "zh-CN"),
        ("en", "xx", "en"),
    ],
)
def test_locale_comes_from_the_cookie_then_accept_language(header, cookie, want):
    assert i18n.best_locale(header, cookie) == want


def test_login_page_follows_the_browser_language(site):
    app, _ = site
    zh = _client(app).get("/login").get_data(as_text=True)
    assert "登录" in zh and "用户名" in zh and "密码" in zh and 'lang="zh-CN"' in zh
    en = _client(app, None).get("/login").get_data(as_text=True)
    assert "Log in" in en and "User name" in en and "登录" not in en
    assert "中文" in en and "English" in en  # the switch is on every page


def test_login_error_is_translated(site):
    app, _ = site
    client = _client(app)
    got = login(client, "manager", "not " + PASSWORD)
    assert got.status_code == 401
    assert "用户名或密码错误" in got.get_data(as_text=True)


def test_the_login_throttle_speaks_chinese(engine, app_factory, tmp_path):
    seed_park(engine, tmp_path)
    app = app_factory(LOGIN_FAILURES_PER_USER=2)
    client = _client(app)
    for _ in range(2):
        assert login(client, "manager", "wrong password").status_code == 401
    refused = login(client, "manager")
    text = refused.get_data(as_text=True)
    assert (
        refused.status_code == 429 and "登录失败次数过多；请在" in text and "too many" not in text
    )


def test_manager_pages_in_chinese(site):
    app, seeded = site
    client = _client(app)
    login(client, "manager")
    areas = client.get("/areas").get_data(as_text=True)
    assert "区域" in areas and "覆盖地图" in areas and "退出" in areas and "公顷" in areas
    page = client.get(f"/areas/{seeded.slug}/map").get_data(as_text=True)
    assert "最差的网格" in page and "已覆盖 / 总面积" in page and "平方米" in page
    # legend, status labels, tooltip field names and layer names go to the map's data in Chinese
    for text in (
        "无网格员",
        "无消杀安排",
        "消杀逾期",
        "待消杀",
        "正常",
        "空隙（无网格）",
        "状态",
        "网格员",
    ):
        assert text in page, text
    assert "Round overdue" not in page and "No warden" not in page
    staff = client.get(f"/areas/{seeded.slug}/staff").get_data(as_text=True)
    assert "自动分配" in staff and "网格与岗位" in staff
    wardens = client.get("/wardens").get_data(as_text=True)
    assert "添加网格员" in wardens


def test_planner_page_in_chinese(site):
    app, seeded = site
    client = _client(app)
    login(client, "planner")
    page = client.get(f"/areas/{seeded.slug}/plan").get_data(as_text=True)
    assert "新网格" in page and "方案历史" in page


def test_warden_page_in_both_languages(site):
    app, _ = site
    zh = _client(app)
    login(zh, "warden1")
    page = zh.get("/me").get_data(as_text=True)
    assert (
        "我的网格" in page
        and "平方米" in page
        and "消杀轮次" in page
        and "立即记录一次消杀" in page
        and "状态" in page
    )
    en = _client(app, None)
    login(en, "warden1")
    page = en.get("/me").get_data(as_text=True)
    assert "My cells" in page and " m²" in page and "我的网格" not in page


def test_the_switch_sets_a_cookie_that_wins_over_the_browser(site):
    app, _ = site
    client = _client(app)
    got = client.get("/lang/en?next=/login")
    assert got.status_code == 302 and got.headers["Location"] == "/login"
    assert "gridmgr_lang=en" in got.headers["Set-Cookie"]
    page = client.get("/login").get_data(as_text=True)
    assert "User name" in page and "用户名" not in page
    client.get("/lang/zh-CN?next=/login")
    assert "用户名" in client.get("/login").get_data(as_text=True)
    login(client, "manager")
    assert "覆盖地图" in client.get("/areas").get_data(as_text=True)


def test_numbers_and_areas_are_formatted_for_the_locale(app_factory, engine):
    app = app_factory()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert i18n.area_m2(1219.4) == "1,219 平方米"
        assert i18n.hectares(93100) == "9.31 公顷"
        assert i18n.percent(0.975) == "97.5%"
    with app.test_request_context():
        assert i18n.area_m2(1219.4) == "1,219 m²"
        assert i18n.hectares(93100) == "9.31 ha"


# --- the catalog: every English text the extractor finds has its Chinese ----------------------


@pytest.fixture(scope="module")
def extracted() -> dict[str | tuple[str, str], list[str]]:
    """What `pybabel extract -F babel.cfg` finds in gridmgr/ and templates/: each msgid (a
    (singular, plural) pair for ngettext) with where it was found."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found: dict[str | tuple[str, str], list[str]] = {}
    for name, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        found.setdefault(message, []).append(f"{name}:{line}")
    return found


def _catalog(path):
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        return read_po(po, abort_invalid=True)


def _fields(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}


def test_the_extractor_finds_templates_errors_phrases_plurals_and_marked_words(extracted):
    for message in [
        "Log in",  # a template's _('...')
        "plan v{version}, {cells} cells",  # ... with values
        ("{n} round missed", "{n} rounds missed"),  # a template's ngettext
        ("{n} warden imported", "{n} wardens imported"),  # the code's ngettext
        "{source}: no polygons in this file: {found}; {hint}",  # an error's .of template
        "{source}: line {line}: ",  # a Phrase.of
        "an area needs Polygon or MultiPolygon geometries, or closed LineStrings",  # a Phrase
        "Round overdue",  # a map label marked with N_
        "leader",  # a code of a lower layer, named in web/words.py
        "this needs the role {roles}; you are logged in as {role}",  # a web error's .of
    ]:
        assert message in extracted, message
    assert len(extracted) > 300


def test_every_extracted_message_has_a_chinese_translation_with_its_placeholders(extracted):
    catalog = _catalog(CATALOG)
    assert catalog.num_plurals == 1 and catalog.plural_expr == "0"  # Chinese has one form
    wrong = []
    for msgid, where in extracted.items():
        entry = catalog.get(msgid)
        english = msgid if isinstance(msgid, str) else msgid[1]
        shown = () if entry is None else entry.string
        shown = (shown,) if isinstance(shown, str) else shown
        if entry is None or entry.fuzzy or not all(s.strip() for s in shown) or not shown:
            wrong.append((msgid, "no translation (or a fuzzy one)", where[0]))
        elif any(_fields(s) != _fields(english) for s in shown):
            wrong.append((msgid, f"placeholders differ: {shown}", where[0]))
    assert not wrong, (
        f"{wrong[:20]}: run pybabel extract and update (docs/web.md) and translate the entries"
    )


def test_the_catalog_and_its_template_hold_exactly_the_extracted_messages(extracted):
    catalog = _catalog(CATALOG)
    template = _catalog(TRANSLATIONS / "messages.pot")
    assert not any(m.fuzzy for m in catalog if m.id)
    for name, messages in (("messages.pot", template), ("messages.po", catalog)):
        held = {m.id for m in messages if m.id}
        assert held == set(extracted), (
            f"{name} is out of step with the code: new {sorted(map(str, set(extracted) - held))}, "
            f"gone {sorted(map(str, held - set(extracted)))}; run pybabel extract and update "
            "(docs/web.md)"
        )


def test_no_compiled_catalog_is_kept_and_the_po_is_what_pages_read(app_factory, engine, tmp_path):
    tracked = subprocess.run(
        ["git", "ls-files", "translations"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert CATALOG.relative_to(ROOT).as_posix() in tracked
    assert not [f for f in tracked if f.endswith(".mo")]  # nothing to fall out of step with the .po
    app = app_factory()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert i18n.gettext("Log in") == "登录"
    # a catalog read straight from a .po file, as apps read translations/, and again once it changed
    changed = tmp_path / "zh_CN" / "LC_MESSAGES" / "messages.po"
    changed.parent.mkdir(parents=True)
    text = CATALOG.read_text(encoding="utf-8")
    changed.write_text(text.replace('msgstr "登录"', 'msgstr "登入"', 1), encoding="utf-8")
    read = i18n.read_catalog(i18n.catalog_path("zh_CN", tmp_path))
    assert read.gettext("Log in") == "登入" and read.holds("Log in") and not read.holds("nope")
    assert i18n.read_catalog(changed) is read  # parsed once
    changed.write_text(text.replace('msgstr "登录"', 'msgstr "请登录"', 1), encoding="utf-8")
    assert i18n.read_catalog(changed).gettext("Log in") == "请登录"


def test_plural_forms_in_both_languages(app_factory, engine):
    app = app_factory()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert i18n.ngettext("{n} warden", "{n} wardens", 1) == "1 名网格员"
        assert i18n.ngettext("{n} warden", "{n} wardens", 30) == "30 名网格员"
    with app.test_request_context():
        assert i18n.ngettext("{n} warden", "{n} wardens", 1) == "1 warden"
        assert i18n.ngettext("{n} round missed", "{n} rounds missed", 2) == "2 rounds missed"


def test_an_error_keeps_its_english_and_pages_show_it_translated(app_factory, engine):
    from gridmgr.errors import InvalidInput, NotFound, Phrase

    exc = InvalidInput.of(
        "{source}: no polygons in this file: {found}; {hint}",
        source="/tmp/x/park.geojson",
        found="feature 0 is a Point",
        hint=Phrase("an area needs Polygon or MultiPolygon geometries, or closed LineStrings"),
    )
    english = (
        "/tmp/x/park.geojson: no polygons in this file: feature 0 is a Point; an area needs "
        "Polygon or MultiPolygon geometries, or closed LineStrings"
    )
    assert str(exc) == english  # the CLI and the API show this
    renamed = exc.replaced("/tmp/x/park.geojson", "公园.geojson")
    assert isinstance(renamed, InvalidInput) and str(renamed).startswith(
        "公园.geojson: no polygons"
    )
    app = app_factory()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        shown = i18n.error_text(renamed)
        assert shown == (
            "公园.geojson：文件中没有多边形：feature 0 is a Point；"
            "区域需要 Polygon 或 MultiPolygon 几何，或闭合的 LineString"
        )
        assert i18n.error_text(NotFound("no such thing")) == "no such thing"  # no template
        assert i18n.error_text("round times repeat") == "消杀时间有重复"  # a whole-message key
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert i18n.error_text(exc) == english


# --- the planner's and the staff pages in Chinese ------------------------------------------------


def visible_text(page: str) -> str:
    """What a reader sees of a page: no scripts, styles or tags."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


PLAN_ENGLISH = [
    "Plan history", "New grid", "Version", "Mode", "Made", "Restore", "Preview", "Datum of the",
    "Cut along lines", "N cells of equal area", "Cells of M metres", "Cells drawn in a file",
    "coverage map", "square", "hex", "Gaode", "Baidu", "active", "cells",
]  # fmt: skip
PREVIEW_ENGLISH = [
    "Preview", "nothing written", "Kept their codes", "Staffed cells", "gain staff", "lose staff",
    "Cell area", "Mean Polsby", "Multi-part", "Coverage error", "Commit as plan", "discard", "wardens",
]  # fmt: skip
STAFF_ENGLISH = [
    "Picked cells", "Cell codes", "Post or remove", "Warden", "Role", "Post to the cells",
    "Take off the cells", "schedule", "Round times", "Extra rounds", "minutes before",
    "minutes after", "every cell", "Set the schedule", "Auto-assign", "Spreads every warden",
    "Cells and posts", "Schedule", "all wardens", "member", "leader", "volunteer", "unstaffed",
]  # fmt: skip
WARDENS_ENGLISH = [
    "Add a warden", "Full name", "Phone", "Role", "Import from CSV", "CSV file", "one bad line",
    "Held", "wardens", "member", "Add", "Import",
]  # fmt: skip
NEW_AREA_ENGLISH = [
    "New area", "Name", "Kind", "Slug", "pinyin", "Code prefix", "Time zone", "Datum of the file",
    "Boundary file", "Add the area", "Baidu",
]  # fmt: skip


def assert_no_english(page: str, english: list[str], chinese: list[str]) -> None:
    text = visible_text(page)
    left = [w for w in english if re.search(rf"\b{re.escape(w)}\b", text)]
    assert not left, left
    absent = [w for w in chinese if w not in text]
    assert not absent, absent


def test_plan_and_new_area_pages_in_chinese(site):
    app, seeded = site
    client = _client(app)
    login(client, "planner")
    page = client.get(f"/areas/{seeded.slug}/plan").get_data(as_text=True)
    assert_no_english(
        page, PLAN_ENGLISH, ["方案历史", "新网格", "等面积的 N 个网格", "六边形", "百度", "预览"]
    )
    assert 'aria-label="网格数量"' in page and "公顷" in page
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": token, "mode": "count", "count": "12", "crs": "wgs84"},
    )
    assert got.status_code == 200
    preview = got.get_data(as_text=True)
    assert_no_english(preview, PREVIEW_ENGLISH, ["预览（尚未保存）", "保存为方案 v2", "沿用原编码"])
    assert '"新网格"' in preview and '"Kept its code"' not in preview  # the map's legend
    new_area = client.get("/areas/new").get_data(as_text=True)
    assert_no_english(
        new_area, NEW_AREA_ENGLISH, ["新建区域", "标识", "拼音", "时区", "边界文件", "添加区域"]
    )


def test_slug_errors_on_the_new_area_page_are_in_chinese(site):
    app, seeded = site
    client = _client(app)
    login(client, "planner")

    def add(slug: str):
        return client.post(
            "/areas/new",
            data={"csrf_token": csrf_of(client, "/areas/new"), "name": "儿童公园", "slug": slug,
                  "boundary": (io.BytesIO((GEODATA / "demo_park.geojson").read_bytes()), "p.geojson")},
            content_type="multipart/form-data",
        )  # fmt: skip

    taken = add(seeded.slug)
    text = visible_text(taken.get_data(as_text=True))
    assert taken.status_code == 409
    assert f"标识 '{seeded.slug}' 已被区域 'Haibin Park' 使用" in text and "is taken" not in text
    bad = add("Ertong Gongyuan")
    text = visible_text(bad.get_data(as_text=True))
    assert bad.status_code == 422
    assert "请使用 1 至 80 个小写字母" in text and "'ertong-gongyuan'" in text


def test_staff_and_wardens_pages_in_chinese(site, engine):
    from gridmgr import services

    app, seeded = site
    client = _client(app)
    login(client, "manager")
    page = client.get(f"/areas/{seeded.slug}/staff").get_data(as_text=True)
    assert_no_english(page, STAFF_ENGLISH, ["已选网格", "网格员", "消杀时间", "自动分配全部网格员"])
    assert 'title="将 warden1 从' in page
    wardens = client.get("/wardens").get_data(as_text=True)
    assert_no_english(
        wardens, WARDENS_ENGLISH, ["添加网格员", "姓名", "电话", "30 名网格员", "导入"]
    )
    services.add_area(engine, GEODATA / "demo_park.geojson", name="Empty park")
    empty = client.get("/areas/empty-park/staff").get_data(as_text=True)
    assert "还没有网格" in empty and "has no cells yet" not in empty


def test_flash_messages_after_real_forms_are_in_chinese(site):
    app, seeded = site
    manager = _client(app)
    login(manager, "manager")
    token = csrf_of(manager, "/wardens")
    got = manager.post("/wardens", data={"csrf_token": token, "name": "张三", "role": "leader"})
    assert got.status_code == 302
    assert "已添加网格员 张三" in manager.get(got.headers["Location"]).get_data(as_text=True)
    code = seeded.codes[3]
    got = manager.post(
        f"/areas/{seeded.slug}/staff/assign",
        data={"csrf_token": token, "codes": code, "warden": "张三", "role": "leader"},
    )
    page = manager.get(got.headers["Location"]).get_data(as_text=True)
    assert f"已将 张三 以网格长身份安排到 {code}" in page
    planner = _client(app)
    login(planner, "planner")
    token = csrf_of(planner, f"/areas/{seeded.slug}/plan")
    got = planner.post(
        f"/areas/{seeded.slug}/plan/commit",
        data={"csrf_token": token, "mode": "count", "count": "12", "crs": "wgs84"},
    )
    assert got.status_code == 302, got.get_data(as_text=True)
    page = planner.get(got.headers["Location"]).get_data(as_text=True)
    assert "方案 v2 已生效：12 个网格（原为 30）" in page and "is active" not in page


def test_form_and_upload_errors_are_translated_on_pages(site):
    app, seeded = site
    client = _client(app)
    login(client, "planner")
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")

    def preview(name: str, data: bytes, lang_client=client):
        return lang_client.post(
            f"/areas/{seeded.slug}/plan/preview",
            data={"csrf_token": token, "mode": "import", "crs": "wgs84",
                  "cells": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )  # fmt: skip

    got = preview("名单.csv", b"name,phone\nwarden1,138\n")
    text = visible_text(got.get_data(as_text=True))
    assert got.status_code == 422
    assert "名单.csv：不是 GeoJSON 文件（开头为 'name,phone" in text and "not GeoJSON" not in text
    got = preview("点.geojson", (DATA / "points_only.geojson").read_bytes())
    assert "点.geojson：文件中没有多边形" in visible_text(got.get_data(as_text=True))
    got = preview("bowtie.geojson", (DATA / "bowtie.geojson").read_bytes())
    text = visible_text(got.get_data(as_text=True))
    assert "多边形无效" in text and "请重新绘制该环" in text, text
    bad = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": token, "mode": "count", "count": "many"},
    )
    assert "网格数量必须是正整数，收到的是 'many'" in visible_text(bad.get_data(as_text=True))
    # a stale preview: the plan changed since it was made
    stale = client.post(
        f"/areas/{seeded.slug}/plan/commit",
        data={"csrf_token": token, "mode": "count", "count": "9", "area_version": "0"},
    )
    assert stale.status_code == 409 and "请查看新方案后重新预览" in stale.get_data(as_text=True)
    # the same upload in English keeps the CLI's sentence
    english = _client(app, "en")
    login(english, "planner")
    token = csrf_of(english, f"/areas/{seeded.slug}/plan")
    got = preview("list.csv", b"name,phone\n", english)
    assert "list.csv: not GeoJSON: it starts with" in html.unescape(got.get_data(as_text=True))


def test_error_pages_and_csv_errors_are_translated_but_the_api_stays_english(site):
    app, _seeded = site
    client = _client(app)
    login(client, "planner")
    missing = client.get("/areas/nope/plan")
    assert missing.status_code == 404
    assert "没有区域 'nope'" in html.unescape(missing.get_data(as_text=True))
    forbidden = client.get("/wardens")
    assert forbidden.status_code == 403
    assert "此操作需要 manager 角色" in forbidden.get_data(as_text=True)
    manager = _client(app)
    login(manager, "manager")
    token = csrf_of(manager, "/wardens")
    got = manager.post(
        "/wardens/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"name,mobile\nx,1\n"), "名单.csv")},
        content_type="multipart/form-data",
    )
    text = html.unescape(got.get_data(as_text=True))
    assert got.status_code == 422 and "名单.csv：第 1 行：表头必须是 name,phone" in text
    got = manager.post(
        "/wardens/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(b"name,phone\nA,13800000001\nB,abc\n"), "名单.csv"),
        },
        content_type="multipart/form-data",
    )
    text = html.unescape(got.get_data(as_text=True))
    assert got.status_code == 422 and "名单.csv：第 3 行：'abc' 不是电话号码" in text, text
    assert "gridmgr-upload" not in text  # the saved file's path is replaced inside the prefix too
    api = app.test_client()
    headers = {**api_token(api, "manager"), "Accept-Language": ZH_HEADERS}
    got = api.get("/api/v1/areas/nope", headers=headers)
    assert got.status_code == 404
    assert got.get_json()["error"]["message"].startswith("no area 'nope'; areas: ")


def outline_label(page: str) -> str:
    """The field name the area outline's tooltip shows before the area's name."""
    found = re.findall(r'\[\s*"name"\s*,\s*"([^"]*)"\s*\]', page)
    assert len(set(found)) == 1, found
    return found[0]


def test_base_map_names_and_the_outline_follow_the_language(site):
    app, seeded = site
    zh = _client(app)
    login(zh, "manager")
    page = zh.get(f"/areas/{seeded.slug}/map").get_data(as_text=True)
    assert "无底图" in page and "No base map" not in page and "高德地图" in page
    assert outline_label(page) == "区域"  # the outline's tooltip
    assert '{"title":"底图"}' in page  # the base-map switch's tooltip
    staff = zh.get(f"/areas/{seeded.slug}/staff").get_data(as_text=True)
    assert "无底图" in staff and outline_label(staff) == "区域"
    en = _client(app, None)
    login(en, "manager")
    page = en.get(f"/areas/{seeded.slug}/map").get_data(as_text=True)
    assert "No base map" in page and "AMap" in page and "无底图" not in page
    assert outline_label(page) == "Area"
    assert '{"title":"Base map"}' in page


# --- dates and times on the area's own clock -----------------------------------------------------


@pytest.fixture
def new_york(engine, app_factory):
    """A park on New York time (far from UTC and from Asia/Shanghai) with one round logged at a
    known UTC instant, and logins for a manager, a planner and the warden who logged it."""
    from gridmgr import services

    slug = services.add_area(
        engine, GEODATA / "demo_park.geojson", name="NY park", timezone="America/New_York"
    ).slug
    services.grid(engine, slug, count=4)
    code = services.plan_cells(engine, slug)["code"][0]
    services.add_warden(engine, "Ada")
    services.assign(engine, slug, [code], "Ada")
    services.set_schedule(engine, slug, None, times=["08:00", "12:00", "18:00"])
    for name, role, warden in [("manager", "manager", None), ("planner", "planner", None),
                               ("ada", "warden", "Ada")]:  # fmt: skip
        services.add_user(engine, name, role=role, password=PASSWORD, warden=warden)
    instant = datetime.now(UTC)
    services.record_round(engine, slug, code, "Ada", at=instant.isoformat())
    return app_factory(), slug, instant


def clocks(instant: datetime, fmt: str) -> tuple[str, str, str]:
    """`instant` on New York's clock, on UTC's and on Shanghai's."""
    return tuple(
        instant.astimezone(ZoneInfo(tz)).strftime(fmt)
        for tz in ("America/New_York", "UTC", "Asia/Shanghai")
    )


SCHEDULE_TIMES = ("08:00", "12:00", "18:00")


def test_times_are_on_the_areas_clock(new_york, engine):
    from gridmgr import services

    app, slug, instant = new_york
    local, utc, shanghai = clocks(instant, "%m-%d %H:%M")
    assert len({local, utc, shanghai}) == 3
    manager = _client(app, None)
    login(manager, "manager")
    # the coverage map now: the moment field, the panel and the cells' tooltips (last/next round)
    page = manager.get(f"/areas/{slug}/map").get_data(as_text=True)
    now_field = re.search(r'name="at"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="at"', page)
    assert now_field, "the moment field"
    shown_now = datetime.fromisoformat(now_field.group(1) or now_field.group(2))
    ny_now = datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None)
    assert abs((ny_now - shown_now).total_seconds()) < 3 * 3600  # New York's clock, not UTC's (5 h)
    assert "America/New_York" in page
    shown = set(re.findall(r"\b\d\d-\d\d \d\d:\d\d\b", page))
    assert local in shown  # the last round
    # every other time on the page is a next round, a schedule time on the area's own clock
    # (08:00, 12:00, 18:00 in New York: 13:00, 17:00, 23:00 UTC; 21:00, 01:00, 07:00 Shanghai),
    # so the round's UTC or Shanghai time is not there
    nexts = shown - {local}
    assert nexts and all(t[-5:] in SCHEDULE_TIMES for t in nexts), nexts
    if instant.minute:
        assert utc not in page and shanghai not in page
    # the warden's page
    warden = _client(app, None)
    login(warden, "ada")
    me = warden.get("/me").get_data(as_text=True)
    assert local in me and set(re.findall(r"\b\d\d-\d\d \d\d:\d\d\b", me)) == {local}
    # the plan history: when each plan was made, on the area's clock, the zone named
    planner = _client(app, None)
    login(planner, "planner")
    made = services.list_plans(engine, slug)[0].created_at
    made = made if made.tzinfo else made.replace(tzinfo=UTC)
    local, utc, shanghai = clocks(made, "%Y-%m-%d %H:%M")
    history = planner.get(f"/areas/{slug}/plan").get_data(as_text=True)
    assert "Made (America/New_York)" in history
    assert local in history and utc not in history and shanghai not in history


def test_the_servers_own_messages_are_translated(site):
    app, _ = site
    client = _client(app)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "服务器上找不到请求的网址" in missing.get_data(
        as_text=True
    )
    remote = client.get("/login", base_url="http://192.0.2.10:5000").get_data(as_text=True)
    assert "浏览器不会保存登录 Cookie" in remote and "plain HTTP" not in remote


def test_the_upload_limit_is_said_in_the_pages_language_and_in_english_to_the_api(
    app_factory, engine, tmp_path
):
    seed_park(engine, tmp_path)
    app = app_factory(MAX_UPLOAD_MB=1)
    client = _client(app)
    login(client, "planner")
    body = {"csrf_token": csrf_of(client, "/areas/new"), "name": "x" * (2 * 1024 * 1024)}
    page = client.post("/areas/new", data=body)
    assert page.status_code == 413 and "上传的文件超过 1 MB 的上限" in page.get_data(as_text=True)
    api = client.post(
        "/api/v1/areas?name=big",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers=api_token(client, "planner"),
        content_type="application/json",
    )
    assert api.status_code == 413
    assert api.get_json()["error"]["message"].startswith("the upload is larger than the limit")


def test_a_plan_too_large_to_inline_says_in_chinese_when_its_cells_do_not_load(
    engine, app_factory, tmp_path
):
    seeded = seed_park(engine, tmp_path, wardens=2)
    app = app_factory(INLINE_CELLS_MAX=10)
    client = _client(app)
    login(client, "manager")
    for page in ("plan", "staff"):
        text = client.get(f"/areas/{seeded.slug}/{page}").get_data(as_text=True)
        assert "无法从服务器加载网格" in text and "could not be loaded" not in text, page


def test_notes_on_an_uploaded_file_are_flashed_in_chinese_and_stay_english_in_the_api(site):
    import json

    app, _ = site
    park = json.loads((GEODATA / "demo_park.geojson").read_text(encoding="utf-8"))
    polygon = park["features"][0] if park.get("type") == "FeatureCollection" else park
    point = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [0, 0]},
    }
    collection = {"type": "FeatureCollection", "features": [polygon, point]}
    client = _client(app)
    login(client, "planner")
    got = client.post(
        "/areas/new",
        data={
            "csrf_token": csrf_of(client, "/areas/new"),
            "name": "Notes park",
            "kind": "park",
            "timezone": "Asia/Shanghai",
            "crs": "wgs84",
            "boundary": (io.BytesIO(json.dumps(collection).encode()), "公园.geojson"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = got.get_data(as_text=True)
    assert got.status_code == 200 and "已跳过 1 个不是区域的要素" in page, page[-3000:]
    assert "not an area was skipped" not in page
    api = client.post(
        "/api/v1/areas",
        json={"name": "Notes park 2", "geometry": collection},
        headers=api_token(client, "planner"),
    )
    assert api.status_code == 201, api.get_data(as_text=True)
    assert any("1 feature that is not an area was skipped" in w for w in api.get_json()["warnings"])


# --- no English left on the Chinese map pages, in a real browser ------------------------------

# words a Chinese page may show in Latin letters: the product, the other language's name in the
# switch, and names of formats, datums and tools
LATIN_ALLOWED = {
    "gridmgr", "English", "OpenStreetMap", "Leaflet", "CSV", "UTF", "GeoJSON", "GeoPackage",
    "Shapefile", "WGS", "GCJ", "BD", "GPS", "CV", "Polsby", "Popper", "QGIS", "IANA", "zip",
    "name", "phone", "role",  # the CSV header the wardens page asks for
    "N", "M",  # "3+N" rounds, cells of M metres
    "m", "km", "ft", "mi",  # the map scale's units
}  # fmt: skip
OPEN_EVERY_FEATURE = """() => {
  const texts = [];
  for (const entry of Object.values(GridmgrMap.layers)) {
    if (!entry.map.hasLayer(entry.layer)) entry.map.addLayer(entry.layer);
    for (const sub of entry.layer.getLayers()) {
      const at = sub.getBounds().getCenter();
      if (sub.getTooltip()) {
        sub.openTooltip(at); texts.push(sub.getTooltip().getElement().innerText); sub.closeTooltip();
      }
      if (sub.getPopup()) {
        sub.openPopup(at); texts.push(sub.getPopup().getElement().innerText); sub.closePopup();
      }
    }
  }
  return texts;
}"""


def english_words(texts: list[str], names: list[str]) -> list[str]:
    """The Latin-letter words of `texts` that are none of the `names` (areas, wardens, logins), no
    code or number (HB-001, 08:00, v2) and not in LATIN_ALLOWED."""
    left: list[str] = []
    for text in texts:
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, " ")
        text = re.sub(r"[\w.:-]*\d[\w.:-]*", " ", text)  # codes, times, versions, numbers
        left += [w for w in re.findall(r"[A-Za-z]+", text) if w not in LATIN_ALLOWED]
    return sorted(set(left))


def page_texts(page) -> list[str]:
    """What the page shows: its text (the panel, the layer control, the legend, notices) and every
    feature's tooltip and popup on its map."""
    texts = [page.inner_text("body")]
    if page.locator(".leaflet-container").count():
        page.wait_for_selector("path.gm-feature")
        texts += page.evaluate(OPEN_EVERY_FEATURE)
    return texts


def test_no_english_is_left_on_the_chinese_map_pages(tmp_path):
    """The demo (gaps, overlaps, every status, rounds missed, extra rounds short, wardens with
    roles) in zh-CN: the coverage map with its panel, layer control, legend, tooltips and popups,
    the staff and plan maps, and the warden's page show no English word but names and codes."""
    from gridmgr import services
    from gridmgr.services.demo import ACTOR, build_demo

    from webtools import app_on, browser_login, chromium, live_server

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    logins = {u.username: u for u in build_demo(url)}
    app = app_on(url, tmp_path, TILES_URL="")
    engine = app.extensions["gridmgr.engine"]
    areas = services.list_areas(engine)
    park = next(a.slug for a in areas if a.kind == "park")
    names = [w.name for w in services.list_wardens(engine)] + [*logins, ACTOR]
    names += [getattr(a, k) for a in areas for k in ("name", "slug")] + ["Asia/Shanghai"]
    report = services.coverage_report(engine, park)
    worst = report.worst
    assert any(w.missed for w in worst) and any(w.extra_short for w in worst)
    assert report.ground.gaps and report.ground.overlaps
    found: dict[str, list[str]] = {}
    try:
        with live_server(app) as base, chromium(base, locale="zh-CN") as page:
            for user, paths in [
                ("manager", [f"/areas/{park}/map", f"/areas/{park}/staff", "/wardens"]),
                ("planner", [f"/areas/{park}/plan"]),
                ("warden1", ["/me"]),
            ]:
                page.context.clear_cookies()
                browser_login(page, base, user, logins[user].password)
                for path in paths:
                    page.goto(base + path)
                    texts = page_texts(page)
                    if path.endswith("/map"):  # the layer control names the outline
                        assert "区域边界" in texts[0] and "网格" in texts[0]
                    found[path] = english_words(texts, names)
    finally:
        engine.dispose()
    assert not any(found.values()), found
