"""The warden's pages (`web/warden.py`): its cells with today's rounds, a round logged in its own cell
only (CSRF checked, notes escaped), a plain page for a warden without cells; SQLite and PostGIS."""

from __future__ import annotations

from webtools import PASSWORD, csrf_of, login

XSS = "<img src=x onerror=alert(1)>"


def test_a_warden_without_cells_gets_a_plain_page(site, engine):
    from gridmgr import services

    app, _ = site
    services.add_warden(engine, "Newcomer")
    services.add_user(engine, "newcomer", role="warden", password=PASSWORD, warden="Newcomer")
    client = app.test_client()
    login(client, "newcomer")
    got = client.get("/me")
    assert got.status_code == 200 and "You hold no cells yet" in got.get_data(as_text=True)


def test_warden_logs_a_round_in_its_own_cell_only(site, engine):
    from gridmgr import services

    app, seeded = site
    own, other = seeded.codes[0], seeded.codes[1]
    client = app.test_client()
    login(client, "warden1")
    page = client.get("/me").get_data(as_text=True)
    assert own in page and other not in page and "Log a round now" in page
    token = csrf_of(client, "/me")
    got = client.post(f"/me/cells/{seeded.slug}/{own}/rounds", data={"csrf_token": token})
    assert got.status_code == 303 and got.headers["Location"].startswith("/me#cell-")
    assert "Round logged in" in client.get("/me").get_data(as_text=True)
    refused = client.post(f"/me/cells/{seeded.slug}/{other}/rounds", data={"csrf_token": token})
    assert refused.status_code == 403 and "do not hold" in refused.get_data(as_text=True)
    assert client.post(f"/me/cells/{seeded.slug}/{own}/rounds").status_code == 400  # no CSRF token
    with_note = client.post(
        f"/me/cells/{seeded.slug}/{own}/rounds",
        data={"csrf_token": token, "note": XSS, "back": "cell"},
    )
    assert with_note.headers["Location"].startswith(f"/me/cells/{seeded.slug}/{own}")
    cell_page = client.get(f"/me/cells/{seeded.slug}/{own}").get_data(as_text=True)
    assert XSS not in cell_page and "&lt;img src=x onerror=alert(1)&gt;" in cell_page
    cells = services.warden_cells(engine, "warden1").cells
    assert len(cells[0].logged) == 2
    assert not services.warden_cells(engine, "warden2").cells[0].logged
