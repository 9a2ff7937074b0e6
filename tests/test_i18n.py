"""The interface in Simplified Chinese and English: locale choice, the switch, and a complete catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gridmgr import i18n

from webtools import PASSWORD, login, seed_park

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
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


def test_the_switch_only_sends_back_into_this_site(site):
    app, _ = site
    client = _client(app)
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        got = client.get("/lang/en", query_string={"next": target})
        assert got.headers["Location"] == "/"


def test_every_template_string_has_a_chinese_translation():
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""_\(\s*'([^']+)'\s*\)""", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r"""_\(\s*"([^"]+)"\s*\)""", path.read_text(encoding="utf-8")))
    assert len(used) > 30
    missing = sorted(used - set(i18n.ZH))
    assert not missing, missing
    assert all(i18n.ZH[k].strip() for k in used)


def test_every_map_label_has_a_chinese_translation():
    from gridmgr import maps
    from gridmgr.web import manage, warden

    texts = [*maps.STATUS_LABELS.values(), *manage.CELL_TOOLTIP.values()]
    texts += [*warden.CELL_TOOLTIP.values(), "Gap (no cell)", "Overlap", "Gaps", "Overlaps"]
    texts += ["Rounds", "Ground", "Size", "Short of extra rounds"]
    missing = sorted(set(texts) - set(i18n.ZH))
    assert not missing, missing


def test_round_statuses_have_a_chinese_translation():
    from gridmgr.services.mine import ROUND_STATUSES

    assert not [s for s in ROUND_STATUSES if s not in i18n.ZH]


def test_numbers_and_areas_are_formatted_for_the_locale(app_factory, engine):
    app = app_factory()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert i18n.area_m2(1219.4) == "1,219 平方米"
        assert i18n.hectares(93100) == "9.31 公顷"
        assert i18n.percent(0.975) == "97.5%"
    with app.test_request_context():
        assert i18n.area_m2(1219.4) == "1,219 m²"
        assert i18n.hectares(93100) == "9.31 ha"
