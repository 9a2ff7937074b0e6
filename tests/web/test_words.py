"""The English words pages show for the lower layers' codes cover every code, and the web server's
own messages marked for the catalog are the ones it says."""

from __future__ import annotations

from werkzeug.exceptions import MethodNotAllowed, NotFound

from gridmgr.web import SERVER_MESSAGES, words


def test_n_marks_text_without_changing_it():
    assert words.N_("Round due") == "Round due"


def test_the_words_cover_every_code_the_pages_show():
    from gridmgr.rules.rectification import PAST, STATUSES
    from gridmgr.rules.staffing import ROLES
    from gridmgr.services.mine import ROUND_STATUSES
    from gridmgr.services.users import USER_ROLES

    for shown, codes in [
        (words.POST_ROLES, ROLES),
        (words.USER_ROLES, USER_ROLES),
        (words.ROUND_STATUSES, ROUND_STATUSES),
        (words.FINDING_WORDS, (*STATUSES, *PAST.values())),
    ]:
        assert set(shown) == set(codes)
        assert all(shown[code] == code for code in codes)  # the code is the English word


def test_the_servers_own_messages_are_werkzeugs():
    assert set(SERVER_MESSAGES) == {NotFound.description, MethodNotAllowed.description}
