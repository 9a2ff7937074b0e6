"""The `gridmgr` commands that run or keep the service: user add/list, backup, restore, serve, demo."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from gridmgr.cli.helptext import examples
from gridmgr.cli.json_output import print_json
from gridmgr.errors import InvalidInput


def add_web_commands(sub, engine_of) -> None:
    """Register `user add/list/passwd/remove`, `backup`, `restore`, `serve` and `demo`."""
    user = sub.add_parser(
        "user",
        help="logins: add, list, passwd, remove",
        description="Logins to the web pages and the API; passwords are read from standard input.",
        epilog=examples(
            "gridmgr user add li --role manager  # asks for the password",
            'echo "$PASSWORD" | gridmgr user add zhang --role warden --warden 张伟',
            "gridmgr user list",
        ),
    ).add_subparsers(
        dest="user_command",
        required=True,
        metavar="{add,list,passwd,remove}",
        help="what to do with logins",
    )
    ua = user.add_parser(
        "add",
        help="create a login; the password is read from standard input",
        description="Create a login with a role; the password is read from standard input (asked "
        "twice on a terminal).",
        epilog=examples(
            "gridmgr user add li --role manager",
            "gridmgr user add wang --role planner",
            "gridmgr user add zhang --role warden --warden 张伟",
            "gridmgr user add chen --role manager --scope xinyang-lu  # one street only",
        ),
    )
    ua.add_argument("name", metavar="NAME", help="the login's user name")
    ua.add_argument(
        "--role",
        required=True,
        choices=("manager", "planner", "warden"),
        help="manager (sees everything, manages staff), planner (areas and plans) or warden "
        "(own cells, logs rounds) (required)",
    )
    ua.add_argument(
        "--warden",
        metavar="NAME",
        help="for a warden login: the warden it is, by name (default: none)",
    )
    ua.add_argument(
        "--scope",
        metavar="SLUG",
        help="for a manager or planner: see and change only this area and the areas below it "
        "(default: every area)",
    )
    ua.set_defaults(func=lambda a: _cmd_user_add(a, engine_of(a)))
    ul = user.add_parser(
        "list",
        help="list logins",
        description="Every login with its role and, for wardens, the warden it is.",
        epilog=examples("gridmgr user list", "gridmgr user list --json"),
    )
    ul.add_argument("--json", action="store_true", help="print the logins as JSON")
    ul.set_defaults(func=lambda a: _cmd_user_list(a, engine_of(a)))
    up = user.add_parser(
        "passwd",
        help="give a login a new password (from standard input); ends its sessions and API tokens",
        description="Give a login a new password, read from standard input; its sessions and API "
        "tokens end on every device.",
        epilog=examples("gridmgr user passwd zhang"),
    )
    up.add_argument("name", metavar="NAME", help="the login's user name")
    up.set_defaults(func=lambda a: _cmd_user_passwd(a, engine_of(a)))
    ur = user.add_parser(
        "remove",
        help="remove a login with its sessions and API tokens",
        description="Remove a login with its sessions and API tokens; the warden it was stays.",
        epilog=examples("gridmgr user remove zhang"),
    )
    ur.add_argument("name", metavar="NAME", help="the login's user name")
    ur.set_defaults(func=lambda a: _cmd_user_remove(a, engine_of(a)))

    bk = sub.add_parser(
        "backup",
        help="write a consistent copy of the whole database, while in use",
        description="Write a consistent copy of the whole database to FILE while the service runs "
        "(SQLite's online backup, or pg_dump on PostGIS); the file is written whole or not at all.",
        epilog=examples("gridmgr backup gridmgr-2026-11-24.backup"),
    )
    bk.add_argument("file", metavar="FILE", help="where to write the backup")
    bk.set_defaults(func=lambda a: _cmd_backup(a, engine_of(a)))
    rs = sub.add_parser(
        "restore",
        help="replace the database's content by a backup's (one transaction)",
        description="Replace the database's content by a backup's, in one transaction; an older "
        "backup's schema is upgraded.",
        epilog=examples("gridmgr restore gridmgr-2026-11-24.backup"),
    )
    rs.add_argument("file", metavar="FILE", help="a file written by 'gridmgr backup'")
    rs.set_defaults(func=lambda a: _cmd_restore(a, engine_of(a)))

    serve = sub.add_parser(
        "serve",
        help="run the web service (waitress, a production WSGI server)",
        description="Run the web pages and the JSON API with waitress until Ctrl+C; the database "
        "is upgraded first.",
        epilog=examples(
            "gridmgr serve  # http://127.0.0.1:5000/",
            "gridmgr serve --host 0.0.0.0 --port 8080 --threads 16",
            "gridmgr serve --behind-proxy  # HTTPS terminated by nginx on this machine",
            "gridmgr serve --host 10.0.0.11 --behind-proxy --trusted-proxy 10.0.0.2  # nginx elsewhere",
        ),
    )
    _server_options(serve)
    serve.set_defaults(func=_cmd_serve)

    demo = sub.add_parser(
        "demo",
        help="a fresh demo database from the project's demo areas, then serve it",
        description="Build a fresh demo database (a park in 30 cells with wardens, schedules and "
        "a day of rounds; a community), print the demo logins, then serve it.",
        epilog=examples(
            "gridmgr demo  # http://127.0.0.1:5000/",
            "gridmgr demo --no-serve --instance /tmp/demo",
        ),
    )
    _server_options(demo)
    demo.add_argument(
        "--instance",
        default="instance-demo",
        help="folder for the demo database (default: %(default)s)",
    )
    demo.add_argument(
        "--no-serve", action="store_true", help="build the demo database only, do not serve it"
    )
    demo.set_defaults(func=_cmd_demo)


def _server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=int, default=5000, help="port to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=8,
        help="requests served at once (default: %(default)s)",
    )
    p.add_argument(
        "--behind-proxy",
        action="store_true",
        help="trust X-Forwarded-For/-Proto/-Host from the reverse proxy (HTTPS in front)",
    )
    p.add_argument(
        "--trusted-proxy",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="with --behind-proxy: the proxy's address, '*' for any (default: %(default)s)",
    )


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise InvalidInput("the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _cmd_user_add(args: argparse.Namespace, engine) -> int:
    from gridmgr.services import add_user

    u = add_user(
        engine,
        args.name,
        role=args.role,
        password=_read_password(),
        warden=args.warden,
        scope=args.scope,
    )
    print(f"user {u.username} ({u.role}{f', scope {u.scope}' if u.scope else ''}) added")
    return 0


def _cmd_user_passwd(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.users import set_password

    set_password(engine, args.name, _read_password())
    print(f"password of {args.name} changed; its sessions and API tokens have ended")
    return 0


def _cmd_user_remove(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.users import remove_user

    remove_user(engine, args.name)
    print(f"user {args.name} removed")
    return 0


def _cmd_user_list(args: argparse.Namespace, engine) -> int:

    from gridmgr.cli.printing import users_text, users_to_json
    from gridmgr.services import list_users

    rows = list_users(engine)
    if args.json:
        print_json(users_to_json(rows))
    elif rows:
        print(users_text(rows))
    return 0


def _cmd_backup(args: argparse.Namespace, engine) -> int:
    from gridmgr.db.backup import backup_database

    r = backup_database(engine, args.file)
    print(f"backup of the {r['database']} database written to {r['backup']} ({r['bytes']:,} bytes)")
    return 0


def _cmd_restore(args: argparse.Namespace, engine) -> int:
    from gridmgr.db.backup import restore_database

    r = restore_database(engine, args.file)
    print(f"{r['database']} database restored from {r['restored']}")
    return 0


def serve_app(app, args: argparse.Namespace) -> None:
    """Serve with waitress until interrupted."""
    import waitress

    # the client's address from X-Forwarded-For too: the login throttle counts failures per address,
    # and behind a proxy every request would otherwise come from the proxy's
    proxy: dict[str, Any] = (
        {
            "trusted_proxy": getattr(args, "trusted_proxy", "127.0.0.1"),
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto x-forwarded-host",
            "clear_untrusted_proxy_headers": True,
        }
        if args.behind_proxy
        else {}
    )
    print(f"gridmgr: serving on http://{args.host}:{args.port}/ (Ctrl+C stops)", flush=True)
    waitress.serve(
        app, host=args.host, port=args.port, threads=args.threads, ident="gridmgr", **proxy
    )


def _cmd_serve(args: argparse.Namespace) -> int:
    from gridmgr.db.store import make_engine, upgrade
    from gridmgr.web import create_app

    upgrade(make_engine(args.db))
    serve_app(create_app({"DATABASE_URL": args.db}), args)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gridmgr.services.demo import build_demo
    from gridmgr.web import create_app

    instance = Path(args.instance).resolve()
    url = args.db or f"sqlite:///{instance / 'demo.db'}"
    users = build_demo(url)
    print("demo users (user name / password):")
    for u in users:
        print(f"  {u.username:<12} {u.password:<16} {u.role}")
    if args.no_serve:
        return 0
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    serve_app(app, args)
    return 0
