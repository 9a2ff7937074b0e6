"""English words that pages show translated, marked for the catalog where they are defined.

`N_` marks a text for `pybabel extract` (babel.cfg) and returns it unchanged: the page translates it
where it shows it (`i18n.gettext`, `i18n.labels`, ``_()`` in a template). No Flask here, so the map
builders (`web/maps/`) mark their labels with it too. The lower layers keep codes that pages show as
words (roles, round statuses, kinds of area); their English words are listed here, and
tests/web/test_words.py checks that the lists cover every code.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """`text` unchanged: marks English text for the catalog, to be translated where it is shown."""
    return text


# code -> English word: the roles of a post (rules.staffing.ROLES) and of a login
# (services.users.USER_ROLES), a round's status on the warden's page (services.mine.ROUND_STATUSES),
# the kinds of area the new-area form offers (any other kind is shown as typed)
POST_ROLES = {
    "leader": N_("leader"),
    "member": N_("member"),
    "volunteer": N_("volunteer"),
    "building_leader": N_("building_leader"),
    "unit_leader": N_("unit_leader"),
}
USER_ROLES = {"manager": N_("manager"), "planner": N_("planner"), "warden": N_("warden")}
ROUND_STATUSES = {
    "done": N_("done"),
    "late": N_("late"),
    "due": N_("due"),
    "overdue": N_("overdue"),
    "upcoming": N_("upcoming"),
}
AREA_KINDS = {"park": N_("park"), "community": N_("community"), "district": N_("district")}
# a finding's states and what was done to it (rules.rectification.STATUSES, PAST), named in errors
FINDING_WORDS = {
    "open": N_("open"),
    "fixed": N_("fixed"),
    "closed": N_("closed"),
    "reopened": N_("reopened"),
    "extended": N_("extended"),
}
