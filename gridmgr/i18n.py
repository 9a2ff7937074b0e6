"""Interface languages (en, zh-CN): the catalog as Python data, the locale of a request, number formats."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, make_response, redirect, request

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"
COOKIE = "gridmgr_lang"

# English text -> Simplified Chinese; a key missing here shows in English.
ZH: dict[str, str] = {
    "Areas": "区域",
    "Area": "区域",
    "Kind": "类型",
    "Plan": "方案",
    "Cells": "网格",
    "My cells": "我的网格",
    "Wardens": "网格员",
    "New area": "新建区域",
    "Log out": "退出",
    "Log in": "登录",
    "User name": "用户名",
    "Password": "密码",
    "coverage map": "覆盖地图",
    "staff": "人员",
    "plan": "方案",
    "No areas yet.": "还没有区域。",
    "Coverage": "覆盖",
    "Worst cells": "最差的网格",
    "Largest gaps and overlaps": "最大的空隙与重叠",
    "Staff": "人员",
    "Picked cells": "已选网格",
    "Auto-assign": "自动分配",
    "Cells and posts": "网格与岗位",
    "Add a warden": "添加网格员",
    "Import from CSV": "从 CSV 导入",
    "wardens": "名网格员",
    "New grid": "新网格",
    "Plan history": "方案历史",
    "Cell": "网格",
    "← All my cells": "← 我的全部网格",
    "You hold no cells yet. A manager posts wardens to cells.": "您还没有负责的网格。由管理员分配网格员到网格。",
    "No schedule for this cell yet.": "此网格还没有消杀安排。",
    "Logged today": "今日已记录",
    "Error": "错误",
    "wrong user name or password": "用户名或密码错误",
    "ha": "公顷",
    "m²": "平方米",
    "Language": "语言",
    "Note (optional)": "备注（可选）",
    "Log a round now": "立即记录一次消杀",
    "Show on map": "在地图上显示",
    "Add a note…": "添加备注…",
    "Today's rounds": "今日消杀轮次",
    "Extra rounds: {done} of {expected} done": "加密消杀：已完成 {done} / {expected} 次",
    "none yet": "暂无",
    "next": "下次",
    "done": "已完成",
    "late": "迟做",
    "upcoming": "未到时间",
    "due": "待消杀",
    "overdue": "逾期",
    "ok": "正常",
    "Round logged in {code} ({area}) at {time}.": "已记录 {code}（{area}）的消杀，时间 {time}。",
    "OK": "正常",
    "Round due": "待消杀",
    "Round overdue": "消杀逾期",
    "No warden": "无网格员",
    "No schedule": "无消杀安排",
    "Short of extra rounds": "加密消杀不足",
    "Gap (no cell)": "空隙（无网格）",
    "Gap": "空隙",
    "Overlap": "重叠",
    "Gaps": "空隙",
    "Overlaps": "重叠",
    "Rounds": "消杀轮次",
    "Ground": "地块",
    "Size": "面积",
    "Status": "状态",
    "Last round": "上次消杀",
    "Next round": "下次消杀",
    "Covered / total": "已覆盖 / 总面积",
    "No cell is behind on its rounds.": "没有网格落后于消杀安排。",
    "Show": "显示",
    "Back to now": "回到现在",
    "Moment": "时刻",
    "cells": "个网格",
    "the cells could not be loaded from the server": "无法从服务器加载网格",
    "Back to the start page": "返回首页",
    "the form's security token is missing or out of date; reload the page": "表单的安全令牌缺失或已过期，请刷新页面",
    # the audit log page (gridmgr/web/audit.py, templates/audit.html)
    "Audit log": "操作日志",
    "All areas": "全部区域",
    "When": "时间",
    "Who": "操作人",
    "What": "操作",
    "Details": "详情",
    "No changes recorded.": "还没有记录任何变更。",
    "Newest": "最新",
    "Older": "更早",
    "Area added": "新增区域",
    "New grid plan": "新网格方案",
    "Warden posted to cells": "网格员已分配到网格",
    "Wardens spread over the cells": "网格员已自动分配",
    "Warden taken off cells": "网格员已撤离网格",
    "Cell's wardens replaced": "网格的网格员已更换",
    "Schedule set": "已设置消杀安排",
    "Round logged": "已记录消杀",
    "Warden added": "新增网格员",
    "Wardens imported": "已导入网格员",
    "Login added": "新增登录账号",
    "Password changed": "密码已更改",
    "Login removed": "登录账号已删除",
    "Source": "来源",
    "Times": "时间点",
    "Extra rounds": "加密消杀次数",
    "Time": "时间",
    "Count": "数量",
}

CATALOGS: dict[str, dict[str, str]] = {"zh-CN": ZH}

bp = Blueprint("i18n", __name__)


def best_locale(accept_language: str | None, cookie: str | None) -> str:
    """The locale for a request: the remembered choice, else the browser's first supported language."""
    if cookie in LOCALES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower()))
    for _q, _i, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def current_locale() -> str:
    """The locale of this request (cached on `g`); English outside a request."""
    try:
        if "locale" not in g:
            g.locale = best_locale(
                request.headers.get("Accept-Language"), request.cookies.get(COOKIE)
            )
        return g.locale
    except RuntimeError:
        return DEFAULT_LOCALE


def gettext(text: str, **values: Any) -> str:
    """`text` in the request's language, with `{name}` placeholders filled from `values`."""
    out = CATALOGS.get(current_locale(), {}).get(text, text)
    return out.format(**values) if values else out


def labels(texts: dict[str, str]) -> dict[str, str]:
    """The values of `texts` (such as maps.STATUS_LABELS or a tooltip's field names) translated."""
    return {k: gettext(v) for k, v in texts.items()}


def number(value: float, digits: int = 0) -> str:
    """A number with thousands separators (the same in both locales)."""
    return f"{value:,.{digits}f}"


def area_m2(value: float) -> str:
    """An area in square metres for the locale: '1,219 m²' / '1,219 平方米'."""
    return f"{number(value)} {gettext('m²')}"


def hectares(value_m2: float) -> str:
    """An area in hectares for the locale: '9.31 ha' / '9.31 公顷'."""
    return f"{number(value_m2 / 10000, 2)} {gettext('ha')}"


def percent(ratio: float, digits: int = 1) -> str:
    """A ratio as a percentage: '97.5%'."""
    return f"{ratio * 100:.{digits}f}%"


@bp.get("/lang/<code>")
def switch(code: str):
    """Remember the chosen language in a cookie and go back to the page the user came from."""
    back = request.args.get("next") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    resp = make_response(redirect(back))
    if code in LOCALES:
        resp.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return resp


def init_app(app: Flask) -> None:
    """Register the switch route and the template helpers (_, locale, area_m2, hectares, percent)."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        _=gettext,
        locale=current_locale,
        LOCALES=LOCALES,
        area_m2=area_m2,
        hectares=hectares,
        percent=percent,
    )
