"""The data the warden page's offline queue needs: whose queue, the CSRF token, the API's and service
worker's addresses and the texts, as JSON that stays inert inside a <script>."""

from __future__ import annotations

import json

from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmgr.services.users import UserInfo
from gridmgr.web.auth import csrf_token
from gridmgr.web.offline_data import QUEUE_LABELS, offline_data


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(min_size=1, max_size=30))
def test_the_queues_data_for_any_user_name(site, name):
    app, _ = site
    with app.test_request_context("/me"):
        g.user = UserInfo(1, name, "warden", "warden1")
        text = offline_data()
        token = csrf_token()
    assert "<" not in text and ">" not in text  # nothing can close the <script>
    data = json.loads(text)
    assert data["user"] == name and data["csrf"] == token
    assert data["api"] == "/api/v1/areas/" and data["cells"] == "/api/v1/me/cells"
    assert data["photos"].startswith("/api/v1/findings/{id}/") and data["scope"] == "/me"
    assert data["worker"].endswith(".js")
    assert set(QUEUE_LABELS) < set(data["labels"]) and "{code}" in data["labels"]["logged"]
