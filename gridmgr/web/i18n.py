"""Interface languages (en, zh-CN): the catalog as Python data, the locale of a request, number formats.

How text gets translated:

- Pages and views call ``_("English text", name=value)`` (``gettext``): the catalog (`ZH`) maps the
  English text, with ``{name}`` placeholders, to the Chinese; values are filled in after. Text with
  no entry shows in English. Flash messages are made this way in the views.
- Errors: services raise GridmgrErrors whose ``str()`` is an English sentence, which the CLI and
  the JSON API show unchanged (the API is a machine interface and stays English). An error a page
  user meets is raised as ``InvalidInput.of("{source}: no polygons in this file: …", source=…)``:
  it keeps its English `template` and `values`, and `error_text(exc)` shows it on a page in the
  request's language — the template looked up in the catalog, filled with the values (a value that
  is an `errors.Phrase` is translated too, and a `Phrase.of("{source}: line {line}: ", …)` has its
  own template). Errors raised with a plain message show in English
  unless the whole message is a catalog key. The error page and the forms' error lines go through
  `error_text`; tests/test_i18n.py checks that every ``.of("...")`` template and every literal
  ``gettext("...")`` in gridmgr/ has an entry, with the same placeholders.
- Dates and times are shown in the area's own time zone (the services return local ISO times);
  the plan history converts its UTC stamps and names the zone in its header.
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Blueprint, Flask, g, make_response, redirect, request

from gridmgr.errors import GridmgrError, Phrase

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
    # planner's pages: the plan page and a new area
    "plan v{version}, {cells} cells": "方案 v{version}，{cells} 个网格",
    "no cells yet": "还没有网格",
    "Plan v{version}": "方案 v{version}",
    "Preview: the new cells": "预览：新网格",
    "Preview (nothing written yet)": "预览（尚未保存）",
    "was {n}": "原为 {n}",
    "Kept their codes": "沿用原编码",
    "Staffed cells": "有人值守的网格",
    "{n} wardens posted": "已安排 {n} 名网格员",
    "Cells that gain staff": "增加人员的网格",
    "Cells that lose staff": "减少人员的网格",
    "Cell area": "网格面积",
    "min {min}, max {max}, CV {cv}": "最小 {min}，最大 {max}，变异系数 {cv}",
    "Mean Polsby–Popper": "平均紧凑度（Polsby–Popper）",
    "1 is a circle; squares 0.785": "圆为 1，正方形为 0.785",
    "Multi-part cells": "多块组成的网格",
    "Coverage error": "覆盖误差",
    "share of the area not matched by the cells": "网格未能吻合的区域面积占比",
    "drawn cells that overlap": "所绘网格相互重叠",
    "Commit as plan v{version}": "保存为方案 v{version}",
    "discard": "放弃",
    "N cells of equal area": "等面积的 N 个网格",
    "number of cells": "网格数量",
    "Cells of M metres": "边长 M 米的网格",
    "cell size in metres": "网格边长（米）",
    "cell shape": "网格形状",
    "square": "正方形",
    "hex": "六边形",
    "Cells drawn in a file": "文件中绘制的网格",
    "Using the uploaded": "使用已上传的",
    "unless you choose another.": "（另选文件即可替换）",
    "Cut along lines first (roads, rivers, walls; optional)": "先沿线切分（道路、河流、围墙；可选）",
    "Datum of the files": "文件的坐标系",
    "Datum of the file": "文件的坐标系",
    "WGS84 (GPS, OpenStreetMap)": "WGS84（GPS、OpenStreetMap）",
    "GCJ-02 (AMap/Gaode, Tencent)": "GCJ-02（高德、腾讯）",
    "BD-09 (Baidu)": "BD-09（百度）",
    "GeoJSON, GeoPackage or a zipped Shapefile. The preview writes nothing; you commit it after.": "GeoJSON、GeoPackage 或压缩的 Shapefile。预览不会保存任何内容，确认后再保存。",
    "Preview": "预览",
    "Version": "版本",
    "Mode": "方式",
    "Made ({zone})": "创建时间（{zone}）",
    "By": "创建人",
    "active": "当前",
    "count": "按数量",
    "cell size": "按边长",
    "drawn": "导入",
    "restored": "恢复",
    "Restore": "恢复",
    "No plans yet.": "还没有方案。",
    "Make the first one above.": "请在上方创建第一个方案。",
    "New cells": "新网格",
    "Change": "变化",
    "Kept its code": "沿用原编码",
    "New code": "新编码",
    "Gains staff": "增加人员",
    "Loses staff": "减少人员",
    "Gains and loses staff": "人员有增有减",
    "Schedule": "消杀安排",
    "Name": "名称",
    "Full name": "姓名",
    "park": "公园",
    "community": "社区",
    "district": "街区",
    "Code prefix (optional, e.g. an administrative code such as 370212)": "编码前缀（可选，如行政区划代码 370212）",
    "Slug: the area's name in web addresses (optional; made from the name in pinyin, e.g. ertong-gongyuan)": "标识：区域在网址中的名称（可选；默认由名称的拼音生成，如 ertong-gongyuan）",
    "slug {slug!r}: use 1 to 80 lower-case letters a-z, digits and '-', beginning and ending with a letter or digit, such as {hint!r}": "标识 {slug!r}：请使用 1 至 80 个小写字母 a-z、数字和“-”，以字母或数字开头和结尾，例如 {hint!r}",
    "slug {slug!r} is taken by the area {name!r}: choose another slug, or none to have one made from the name": "标识 {slug!r} 已被区域 {name!r} 使用：请换一个标识，或留空以由名称生成",
    "Time zone": "时区",
    "Boundary file (GeoJSON, GeoPackage or zipped Shapefile)": "边界文件（GeoJSON、GeoPackage 或压缩的 Shapefile）",
    "Add the area": "添加区域",
    "area {name} added ({size}); now grid it": "已添加区域 {name}（{size}），请为其划分网格",
    "plan v{version} is active: {cells} cells (was {previous}), {kept} kept their codes, {posted} wardens posted": "方案 v{version} 已生效：{cells} 个网格（原为 {previous}），{kept} 个沿用原编码，已安排 {posted} 名网格员",
    "plan v{old}'s cells are active again as v{version} ({cells} cells, {posted} wardens posted)": "方案 v{old} 的网格已作为 v{version} 重新生效（{cells} 个网格，已安排 {posted} 名网格员）",
    # managers' staff pages
    "all wardens": "全部网格员",
    "Click cells to pick them (click again to drop); their codes go into the form below.": "点击网格即可选中（再次点击取消），其编码会填入下方表单。",
    "Cell codes (separated by spaces or commas)": "网格编码（用空格或逗号分隔）",
    "Post or remove a warden": "安排或撤下网格员",
    "Warden": "网格员",
    "Role": "角色",
    "leader": "网格长",
    "member": "网格员",
    "volunteer": "志愿者",
    "manager": "管理员",
    "planner": "规划员",
    "warden": "网格员",
    "plan v{version}": "方案 v{version}",
    "Post to the cells": "安排到这些网格",
    "Take off the cells": "从这些网格撤下",
    '"3+N" schedule': "“3+N”消杀安排",
    "Round times": "消杀时间",
    "Extra rounds a day (N)": "每日加密消杀次数（N）",
    "Window: minutes before": "时间窗：提前分钟数",
    "minutes after": "延后分钟数",
    "every cell of the area": "区域内全部网格",
    "Set the schedule": "设置消杀安排",
    "Spreads every warden over this area's cells, contiguous and balanced by area. It replaces the area's posts.": "把全部网格员分配到本区域的网格，相邻成片、按面积均衡。会替换本区域现有的安排。",
    "Auto-assign all wardens": "自动分配全部网格员",
    "{n} cells are too many to list here; pick them on the map or type their codes.": "{n} 个网格太多，无法在此列出；请在地图上选择或输入编码。",
    "take {warden} off {code}": "将 {warden} 从 {code} 撤下",
    "unstaffed": "无人值守",
    "none": "无",
    "{area} has no cells yet, so there is nobody to post.": "{area} 还没有网格，暂时无需安排人员。",
    "A planner grids it on its plan page first.": "请规划人员先在方案页面划分网格。",
    "Phone": "电话",
    "Add": "添加",
    "UTF-8, header": "UTF-8 编码，表头为",
    "or": "或",
    "; one bad line refuses the whole file.": "；任何一行有误则整个文件都不导入。",
    "CSV file": "CSV 文件",
    "Import": "导入",
    "{n} wardens": "{n} 名网格员",
    "Held": "负责的网格",
    "No wardens yet.": "还没有网格员。",
    "warden {name} added": "已添加网格员 {name}",
    "{n} wardens imported": "已导入 {n} 名网格员",
    "{warden} posted to {cells} as {role}": "已将 {warden} 以{role}身份安排到 {cells}",
    "{warden} taken off {cells}": "已将 {warden} 从 {cells} 撤下",
    "{posts} posts: {wardens} wardens over {cells} cells": "共 {posts} 个岗位：{wardens} 名网格员分布在 {cells} 个网格",
    "{cells} cells: rounds at {times} + {extra} extra": "{cells} 个网格：消杀时间 {times}，另加 {extra} 次",
    # base maps in the layer switch
    "OpenStreetMap": "OpenStreetMap",
    "Tianditu": "天地图",
    "Tianditu imagery": "天地图影像",
    "AMap": "高德地图",
    "Local tiles": "本地底图",
    "No base map": "无底图",
    # errors shown on pages (GridmgrError templates; see error_text)
    "no area {slug!r}": "没有区域 {slug!r}",
    "no area {slug!r}; areas: {known}": "没有区域 {slug!r}；现有区域：{known}",
    "none yet (gridmgr area add)": "暂无（gridmgr area add）",
    "area {slug!r} has no cells yet; grid it first (gridmgr grid {slug} --count N)": "区域 {slug!r} 还没有网格；请先划分网格（gridmgr grid {slug} --count N）",
    "area {slug!r} has no cell {code!r} in its active plan": "区域 {slug!r} 的当前方案中没有网格 {code!r}",
    "area {slug!r} has no plan version {version}": "区域 {slug!r} 没有方案版本 {version}",
    "area_version {seen!r} is not a version number": "area_version {seen!r} 不是版本号",
    "unknown mode {mode!r}: choose N cells, a cell size, or a cells file": "未知的方式 {mode!r}：请选择网格数量、网格边长或网格文件",
    "unknown datum {crs!r}: use one of {datums}": "未知的坐标系 {crs!r}：请使用 {datums} 之一",
    "unknown cell shape {shape!r}: use square or hex": "未知的网格形状 {shape!r}：请使用 square（正方形）或 hex（六边形）",
    "{what} must be a positive whole number, got {text!r}": "{what}必须是正整数，收到的是 {text!r}",
    "{what} must be a positive number, got {text!r}": "{what}必须是正数，收到的是 {text!r}",
    "{what} must be a whole number, got {text!r}": "{what}必须是整数，收到的是 {text!r}",
    "the number of cells": "网格数量",
    "the cell size in metres": "网格边长（米）",
    "the plan version": "方案版本",
    "extra rounds": "加密消杀次数",
    "minutes before": "提前分钟数",
    "choose a cells file (GeoJSON, GeoPackage or zipped Shapefile) to upload": "请选择要上传的网格文件（GeoJSON、GeoPackage 或压缩的 Shapefile）",
    "choose a boundary file (GeoJSON, GeoPackage or zipped Shapefile) to upload": "请选择要上传的边界文件（GeoJSON、GeoPackage 或压缩的 Shapefile）",
    "choose a {what} to upload": "请选择要上传的{what}",
    "file": "文件",
    "cells file": "网格文件",
    "lines file": "线文件",
    "boundary file": "边界文件",
    "choose a CSV file (header name,phone or name,phone,role)": "请选择 CSV 文件（表头为 name,phone 或 name,phone,role）",
    "pick at least one cell (click it on the map or type its code)": "请至少选择一个网格（在地图上点击或输入编码）",
    "the file uploaded for the preview is gone (kept {hours} h, removed after a commit); upload it again": "为预览上传的文件已不存在（保留 {hours} 小时，保存后删除）；请重新上传",
    "the form names no valid upload; upload the file again": "表单中没有有效的上传文件；请重新上传",
    "the plan of {slug!r} changed since this preview (someone committed or restored one); nothing was written — look at the new plan and preview again": "自此预览以来，{slug!r} 的方案已改变（有人保存或恢复了方案）；未保存任何内容——请查看新方案后重新预览",
    "the area was re-gridded by someone else meanwhile; nothing was written — look at the new plan and try again": "其间有其他人重新划分了该区域的网格；未保存任何内容——请查看新方案后重试",
    "{source}: none of the drawn cells overlaps the area": "{source}：所绘网格都不与区域重叠",
    "unknown time zone {name!r}: use an IANA name such as Asia/Shanghai": "未知的时区 {name!r}：请使用 IANA 名称，如 Asia/Shanghai",
    "an area needs a name (--name)": "区域需要名称",
    "{source}: not GeoJSON: it starts with {start!r}; give a GeoJSON file, a GeoPackage (.gpkg), a Shapefile (.shp) or a zipped Shapefile (.zip)": "{source}：不是 GeoJSON 文件（开头为 {start!r}）；请提供 GeoJSON 文件、GeoPackage（.gpkg）、Shapefile（.shp）或压缩的 Shapefile（.zip）",
    "{source}: cannot read it: it is binary data, not GeoJSON text, and not a GeoPackage, Shapefile or zip; check the file is the one you meant": "{source}：无法读取：它是二进制数据，既不是 GeoJSON 文本，也不是 GeoPackage、Shapefile 或 zip；请确认选对了文件",
    "{source}: not valid JSON: {msg} at line {line}, column {column}; check the file is GeoJSON and was saved completely": "{source}：不是有效的 JSON（第 {line} 行第 {column} 列：{msg}）；请确认文件是 GeoJSON 且已完整保存",
    "{source}: the file holds no features (the collection is empty)": "{source}：文件中没有要素（集合为空）",
    "{source}: the file holds no features": "{source}：文件中没有要素",
    "{source}: the file is empty (0 bytes)": "{source}：文件为空（0 字节）",
    "{source}: not a {kind} file: its content does not start as one does; is it damaged, or misnamed?": "{source}：不是 {kind} 文件，其内容开头不符；文件是否损坏或扩展名有误？",
    "{source}: cannot convert its CRS ({crs}) to WGS84: {reason}": "{source}：无法将其坐标参考系（{crs}）转换为 WGS84：{reason}",
    "{source}: no polygons in this file: {found}; {hint}": "{source}：文件中没有多边形：{found}；{hint}",
    "an area needs Polygon or MultiPolygon geometries, or closed LineStrings": "区域需要 Polygon 或 MultiPolygon 几何，或闭合的 LineString",
    "{where}: the polygon encloses no area": "{where}：多边形没有围出面积",
    "{where}: the polygon is not valid: {reason}; repairing it would change its area by {change}, so it is refused; {advice}": "{where}：多边形无效（{reason}）；修复会使面积改变 {change}，因此不予接受；{advice}",
    "redraw the ring so it does not cross itself": "请重新绘制该环，使其不自相交",
    "put each hole inside its outer ring, or make it a polygon of its own": "请把每个洞放在其外环之内，或将其单独作为一个多边形",
    "fix it in a GIS (QGIS: Fix geometries) and check the result": "请在 GIS 软件中修复（QGIS：修复几何图形）并检查结果",
    "This page came over plain HTTP, so your browser will not keep the login cookie. "
    "Serve gridmgr behind HTTPS, or on a trusted network set GRIDMGR_INSECURE_COOKIES=1.": (
        "此页面通过未加密的 HTTP 传输，浏览器不会保存登录 Cookie。"
        "请通过 HTTPS 提供 gridmgr，或在可信网络中设置 GRIDMGR_INSECURE_COOKIES=1。"
    ),
    # the error page's messages from the web server itself
    "The requested URL was not found on the server. If you entered the URL manually please check "
    "your spelling and try again.": "服务器上找不到请求的网址。如果是手动输入的网址，请检查拼写后重试。",
    "The method is not allowed for the requested URL.": "请求的网址不支持此方法。",
    "internal error; it has been logged": "内部错误；已记录在日志中",
    "Base map": "底图",
    # notes on a read file, flashed after an area is added
    "{label}: its lines do not close into rings and were left out": "{label}：其线条不能闭合成环，已略去",
    "{label}: its polygons overlap or touch along an edge; their union is used": (
        "{label}：其多边形相互重叠或沿边相接，已取其并集"
    ),
    "{label}: {reason} repaired (the area changed by {moved})": "{label}：已修复{reason}（面积变化 {moved}）",
    "1 feature that is not an area was skipped ({which})": "已跳过 1 个不是区域的要素（{which}）",
    "{n} features that are not areas were skipped ({which})": "已跳过 {n} 个不是区域的要素（{which}）",
    "the file has {n} layers ({names}); only {chosen} was read": "文件有 {n} 个图层（{names}）；只读取了 {chosen}",
    "the zip holds {n} Shapefiles; only {chosen} was read": "zip 中有 {n} 个 Shapefile；只读取了 {chosen}",
    "the upload is larger than the limit of {mb} MB (GRIDMGR_MAX_UPLOAD_MB)": (
        "上传的文件超过 {mb} MB 的上限（GRIDMGR_MAX_UPLOAD_MB）"
    ),
    "the server is busy with another large upload; try again in {seconds} seconds": (
        "服务器正在处理另一个大文件上传；请在 {seconds} 秒后重试"
    ),
    "too many failed logins; try again in {minutes} minute(s)": "登录失败次数过多；请在 {minutes} 分钟后重试",
    "this needs the role {roles}; you are logged in as {role}": "此操作需要 {roles} 角色；您当前的角色是 {role}",
    "this login is not linked to a warden; ask a manager to link it": "此账号未关联网格员；请联系管理员关联",
    "you do not hold cell {code} of area {slug}; only its wardens log rounds there": "您不负责区域 {slug} 的网格 {code}；只有该网格的网格员才能记录消杀",
    "a warden named {name!r} already exists": "名为 {name!r} 的网格员已存在",
    "{where}a warden needs a name of 1 to 120 characters": "{where}网格员姓名须为 1 到 120 个字符",
    "{where}unknown role {role!r}: use one of {roles}": "{where}未知的角色 {role!r}：请使用 {roles} 之一",
    "a finding that is {status} cannot be {done}": "{status}的问题不能被{done}",
    "the new deadline {new} must be after the current one, {old}": "新的整改时限 {new} 必须晚于当前时限 {old}",
    "unknown action {action!r}: use one of {actions}": "未知的操作 {action!r}：请使用 {actions} 之一",
    "a finding fixed on the spot has no deadline to extend": "立行立改的问题没有可延期的整改时限",
    "open": "待整改",
    "fixed": "已整改待验收",
    "closed": "已销号",
    "reopened": "重新打开",
    "extended": "延期",
    "{source}: not UTF-8 text; save the CSV as UTF-8": "{source}：不是 UTF-8 文本；请将 CSV 另存为 UTF-8 编码",
    "{source}: line {line}: ": "{source}：第 {line} 行：",
    "{source}: line 1: the header must be name,phone or name,phone,role; it is {header!r}": "{source}：第 1 行：表头必须是 name,phone 或 name,phone,role，实际为 {header!r}",
    "{where}expected {n} fields ({fields}), found {found}": "{where}应有 {n} 个字段（{fields}），实际有 {found} 个",
    "{where}phone {phone!r} is not a phone number": "{where}{phone!r} 不是电话号码",
    "{where}{name!r} appears twice (also on line {line})": "{where}{name!r} 出现了两次（另见第 {line} 行）",
    "{source}: no wardens in the file": "{source}：文件中没有网格员",
    "{source}: line {line}: a warden named {name!r} already exists; nothing was imported": "{source}：第 {line} 行：名为 {name!r} 的网格员已存在；未导入任何内容",
    "no warden named {warden!r}": "没有名为 {warden!r} 的网格员",
    "no warden named {warden!r}; add them first (gridmgr warden add)": "没有名为 {warden!r} 的网格员；请先添加",
    "{warden} holds none of the cells {codes} of {slug}": "{warden} 不负责 {slug} 的网格 {codes} 中的任何一个",
    "there are no wardens to assign; add or import some first": "没有可分配的网格员；请先添加或导入",
    "round times must be HH:MM, 24-hour (e.g. 08:00,12:00,18:00); got {got}": "消杀时间必须是 24 小时制的 HH:MM（如 08:00,12:00,18:00）；收到的是 {got}",
    "round times repeat": "消杀时间有重复",
    "extra rounds must be 0 to 48 a day, got {extra}": "加密消杀次数必须为每天 0 到 48 次，收到的是 {extra}",
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


def error_text(error: BaseException | str | None) -> str:
    """An error as a page shows it, in the request's language: a GridmgrError made with `.of` has its
    template translated and filled; other messages are translated if the whole text is a catalog key.

    Given a message string (the error page gets only that), the GridmgrError being handled, if its
    message is that text, is used for its template.
    """
    if error is None:
        return ""
    if isinstance(error, str):
        handled = sys.exc_info()[1]
        if not (isinstance(handled, GridmgrError) and str(handled) == error):
            return gettext(error)
        error = handled
    return phrase_text(error)


def _filled(table: dict[str, str], template: str, values: Any) -> str:
    """The translation of `template` filled with `values`, those that are Phrases translated too."""

    def shown(value: Any) -> Any:
        if not isinstance(value, Phrase):
            return value
        if value.template is not None:
            if value.template not in table:
                return str(value)
            return _filled(table, value.template, value.values)
        return table.get(value, value)

    return table[template].format(**{k: shown(v) for k, v in values.items()})


def phrase_text(text: str | GridmgrError) -> str:
    """A message that may carry an English template (a `Phrase.of`, such as a note about a file read,
    or an error made with `.of`) in the request's language."""
    table = CATALOGS.get(current_locale(), {})
    template = getattr(text, "template", None)
    if template and template in table:
        try:
            return _filled(table, template, getattr(text, "values", {}))
        except (KeyError, IndexError, ValueError):
            pass  # a catalog entry that does not fit its values: the English sentence instead
    return gettext(str(text))


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
        error_text=error_text,
        locale=current_locale,
        LOCALES=LOCALES,
        area_m2=area_m2,
        hectares=hectares,
        percent=percent,
    )
