"""The `gridmgr` commands that run or keep the service: user add/list, backup, restore, serve, demo."""

from __future__ import annotations

import argparse
import getpass
import sys

from gridmgr.errors import InvalidInput


def add_web_commands(sub, engine_of) -> None:
    """Register `user add/list/passwd/remove`, `backup`, `restore`, `serve` and `demo`."""
    user = sub.add_parser("user", help="logins: add, list, passwd, remove").add_subparsers(
        dest="user_command", required=True, metavar="{add,list,passwd,remove}"
    )
    ua = user.add_parser("add", help="create a login; the password is read from standard input")
    ua.add_argument("name", metavar="NAME")
    ua.add_argument("--role", required=True, choices=("manager", "planner", "warden"))
    ua.add_argument("--warden", metavar="NAME", help="for a warden login: the warden it is")
    ua.set_defaults(func=lambda a: _cmd_user_add(a, engine_of(a)))
    ul = user.add_parser("list", help="list logins")
    ul.add_argument("--json", action="store_true")
    ul.set_defaults(func=lambda a: _cmd_user_list(a, engine_of(a)))
    up = user.add_parser(
        "passwd",
        help="give a login a new password (from standard input); ends its sessions and API tokens",
    )
    up.add_argument("name", metavar="NAME")
    up.set_defaults(func=lambda a: _cmd_user_passwd(a, engine_of(a)))
    ur = user.add_parser("remove", help="remove a login with its sessions and API tokens")
    ur.add_argument("name", metavar="NAME")
    ur.set_defaults(func=lambda a: _cmd_user_remove(a, engine_of(a)))

    bk = sub.add_parser(
        "backup", help="write a consistent copy of the whole database, while in use"
    )
    bk.add_argument("file", metavar="FILE")
    bk.set_defaults(func=lambda a: _cmd_backup(a, engine_of(a)))
    rs = sub.add_parser(
        "restore", help="replace the database's content by a backup's (one transaction)"
    )
    rs.add_argument("file", metavar="FILE")
    rs.set_defaults(func=lambda a: _cmd_restore(a, engine_of(a)))

    serve = sub.add_parser("serve", help="run the web service (waitress, a production WSGI server)")
    _server_options(serve)
    serve.set_defaults(func=_cmd_serve)

    demo = sub.add_parser(
        "demo", help="a fresh demo database from the project's demo areas, then serve it"
    )
    _server_options(demo)
    demo.add_argument(
        "--instance", default="instance-demo", help="folder for the demo database and secret key"
    )
    demo.add_argument("--no-serve", action="store_true", help="build the demo database only")
    demo.set_defaults(func=_cmd_demo)


def _server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument(
        "--behind-proxy",
        action="store_true",
        help="trust X-Forwarded-* headers from a reverse proxy on 127.0.0.1 (HTTPS in front)",
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

    u = add_user(engine, args.name, role=args.role, password=_read_password(), warden=args.warden)
    print(f"user {u['username']} ({u['role']}) added")
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
    import json

    from gridmgr.services import list_users

    rows = list_users(engine)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['username']:<24} {r['role']:<8} {r['warden'] or ''}")
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

    proxy = (
        {
            "trusted_proxy": "127.0.0.1",
            "trusted_proxy_headers": "x-forwarded-proto x-forwarded-host",
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
        print(f"  {u['username']:<12} {u['password']:<16} {u['role']}")
    if args.no_serve:
        return 0
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    serve_app(app, args)
    return 0
