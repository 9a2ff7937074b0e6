"""`--json` output: every command prints the API's object the same way."""

from __future__ import annotations

import json


def print_json(data: object) -> None:
    """JSON as `--json` prints it: the API's object, indented, non-ASCII kept (dates as text)."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
