"""gridmgr's gettext catalogs (zh_CN/LC_MESSAGES/messages.po); shipped inside the package as
gridmgr.translations (see pyproject.toml, and docs/web.md for the translator's workflow)."""
