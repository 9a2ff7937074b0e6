"""gridmgr's Jinja pages; shipped inside the package as gridmgr.templates (see pyproject.toml)."""
