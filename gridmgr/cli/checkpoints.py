"""The `gridmgr` commands of checkpoints and visitor caps: checkpoint add|staff|list, capacity set|show,
count and occupancy."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from gridmgr.cli.helptext import examples
from gridmgr.cli.json_output import print_json
from gridmgr.errors import InvalidInput


def add_checkpoint_commands(sub, engine_of: Callable) -> None:
    """Register `checkpoint add|staff|list`, `capacity set|show`, `count` and `occupancy`."""
    cp = sub.add_parser(
        "checkpoint",
        help="entry checkpoints (卡点) of an area: add, staff, list",
        description="Checkpoints: the gates of an area where wardens count people in and out.",
        epilog=examples(
            "gridmgr checkpoint add daowai --name 北门 --lonlat 126.63,45.78",
            "gridmgr checkpoint staff daowai 1 --warden 张伟 --shift 08:00-16:00",
        ),
    ).add_subparsers(dest="verb", metavar="VERB", required=True, help="what to do")
    ca = cp.add_parser(
        "add",
        help="add a checkpoint at a point; prints its id",
        description="Add a named checkpoint at a point (WGS84) in the area or within 1 km of it.",
        epilog=examples("gridmgr checkpoint add daowai --name 北门 --lonlat 126.63,45.78"),
    )
    ca.add_argument("area", metavar="AREA", help="the area's slug")
    ca.add_argument("--name", required=True, metavar="NAME", help="the checkpoint's name")
    ca.add_argument("--lonlat", required=True, metavar="LON,LAT", help="where it is, WGS84")
    ca.add_argument("--json", action="store_true", help="print the checkpoint as JSON")
    ca.set_defaults(func=lambda a: _cmd_add(a, engine_of(a)))
    cs = cp.add_parser(
        "staff",
        help="post a warden at a checkpoint (again: change the shift)",
        description="Post a warden at a checkpoint, all day or for a shift; posting again changes "
        "the shift. A checkpoint with nobody posted, or whose shift has no count logged, is a "
        "coverage gap.",
        epilog=examples(
            "gridmgr checkpoint staff daowai 1 --warden 张伟",
            "gridmgr checkpoint staff daowai 1 --warden 李娜 --shift 16:00-22:00",
        ),
    )
    cs.add_argument("area", metavar="AREA", help="the area's slug")
    cs.add_argument("id", type=int, metavar="ID", help="the checkpoint's id")
    cs.add_argument("--warden", required=True, metavar="NAME", help="the warden to post")
    cs.add_argument(
        "--shift", metavar="HH:MM-HH:MM", help="the shift on the area's clock (default: all day)"
    )
    cs.add_argument("--json", action="store_true", help="print the checkpoint as JSON")
    cs.set_defaults(func=lambda a: _cmd_staff(a, engine_of(a)))
    cl = cp.add_parser(
        "list",
        help="an area's checkpoints with their wardens",
        description="List an area's checkpoints: id, name, point and the wardens posted there.",
        epilog=examples("gridmgr checkpoint list daowai --json"),
    )
    cl.add_argument("area", metavar="AREA", help="the area's slug")
    cl.add_argument("--json", action="store_true", help="print them as JSON")
    cl.set_defaults(func=lambda a: _cmd_list(a, engine_of(a)))

    cap = sub.add_parser(
        "capacity",
        help="visitor caps (限流) of an area: set, show",
        description="An area's caps: the limit on people inside at once is the smaller of "
        "floor(max capacity × percent / 100) and the instant cap; slots are daily entry quotas.",
        epilog=examples(
            "gridmgr capacity set daowai --instant 600",
            "gridmgr capacity set sun-island --max-capacity 20000 --percent 30 "
            "--slot 08:00-11:00=3000 --slot 11:00-14:00=3000 --slot 14:00-17:00=3000",
        ),
    ).add_subparsers(dest="verb", metavar="VERB", required=True, help="what to do")
    cap_set = cap.add_parser(
        "set",
        help="set the caps and slots (replacing the earlier ones)",
        description="Set the area's caps and slots; what is not given is not capped (each set "
        "replaces the area's caps and slots whole).",
        epilog=examples(
            "gridmgr capacity set daowai --instant 600",
            "gridmgr capacity set park --max-capacity 20000 --percent 30",
            "gridmgr capacity set island --slot 08:00-11:00=3000 --slot 11:00-14:00=3000",
        ),
    )
    cap_set.add_argument("area", metavar="AREA", help="the area's slug")
    cap_set.add_argument(
        "--max-capacity", type=_count, metavar="N", help="rated capacity (with --percent)"
    )
    cap_set.add_argument(
        "--percent", metavar="P", help="the share of it allowed inside at once, e.g. 30"
    )
    cap_set.add_argument("--instant", type=_count, metavar="N", help="at most N inside at once")
    cap_set.add_argument(
        "--slot",
        action="append",
        metavar="HH:MM-HH:MM=QUOTA",
        help="a daily entry slot and its quota; again for more",
    )
    cap_set.add_argument("--json", action="store_true", help="print the caps as JSON")
    cap_set.set_defaults(func=lambda a: _cmd_capacity_set(a, engine_of(a)))
    cap_show = cap.add_parser(
        "show",
        help="the caps, slots and the limit",
        description="Show the area's caps, slots and the limit they make.",
        epilog=examples("gridmgr capacity show daowai --json"),
    )
    cap_show.add_argument("area", metavar="AREA", help="the area's slug")
    cap_show.add_argument("--json", action="store_true", help="print the caps as JSON")
    cap_show.set_defaults(func=lambda a: _cmd_capacity_show(a, engine_of(a)))

    cnt = sub.add_parser(
        "count",
        help="count people in and out at a checkpoint (as a manager)",
        description="Count people in and out at a checkpoint as a manager would (wardens count on "
        "the gate page); entries past a cap are refused unless --override with a --reason.",
        epilog=examples(
            "gridmgr count daowai 1 --in 5",
            "gridmgr count daowai 1 --out 2 --at 2026-01-10T10:00",
            'gridmgr count daowai 1 --in 30 --override --reason "booked tour group"',
        ),
    )
    cnt.add_argument("area", metavar="AREA", help="the area's slug")
    cnt.add_argument("id", type=int, metavar="ID", help="the checkpoint's id")
    cnt.add_argument(
        "--in",
        dest="n_in",
        type=_count,
        default=0,
        metavar="N",
        help="entries (default: %(default)s)",
    )
    cnt.add_argument(
        "--out",
        dest="n_out",
        type=_count,
        default=0,
        metavar="M",
        help="exits (default: %(default)s)",
    )
    cnt.add_argument("--at", metavar="ISO", help="when (no offset: the area's clock; default: now)")
    cnt.add_argument("--override", action="store_true", help="pass the caps (audited)")
    cnt.add_argument("--reason", metavar="R", help="why the caps are overridden")
    cnt.add_argument("--json", action="store_true", help="print the answer as JSON")
    cnt.set_defaults(func=lambda a: _cmd_count(a, engine_of(a)))

    occ = sub.add_parser(
        "occupancy",
        help="people inside an area today against its limit",
        description="People inside the area today (entries minus exits since the start of its "
        "day), the limit and status, each slot's entries and each checkpoint's counts.",
        epilog=examples("gridmgr occupancy daowai", "gridmgr occupancy daowai --json"),
    )
    occ.add_argument("area", metavar="AREA", help="the area's slug")
    occ.add_argument("--at", metavar="ISO", help="the day of this moment (default: now)")
    occ.add_argument("--json", action="store_true", help="print it as JSON, as the API does")
    occ.set_defaults(func=lambda a: _cmd_occupancy(a, engine_of(a)))


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; give 0 or more")
    return value


def _lonlat(text: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(
            f"--lonlat {text!r}: write longitude,latitude, e.g. 126.63,45.78"
        ) from None
    return lon, lat


def _cmd_add(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.checkpoints import add_checkpoint
    from gridmgr.web.api.checkpoints_json import checkpoint_to_json

    lon, lat = _lonlat(args.lonlat)
    made = add_checkpoint(engine, args.area, name=args.name, lon=lon, lat=lat)
    if args.json:
        print_json(checkpoint_to_json(made))
    else:
        print(made.id)
    return 0


def _cmd_staff(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.checkpoints import staff_checkpoint
    from gridmgr.web.api.checkpoints_json import checkpoint_to_json

    gate = staff_checkpoint(engine, args.area, args.id, args.warden, shift=args.shift)
    if args.json:
        print_json(checkpoint_to_json(gate))
    else:
        print(f"checkpoint {gate.id} ({gate.name}): {_posts(gate)}")
    return 0


def _posts(gate) -> str:
    return (
        ", ".join(f"{p.warden} ({'-'.join(p.shift) if p.shift else 'all day'})" for p in gate.posts)
        or "nobody posted"
    )


def _cmd_list(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.checkpoints import list_checkpoints
    from gridmgr.web.api.checkpoints_json import checkpoint_to_json

    gates = list_checkpoints(engine, args.area)
    if args.json:
        print_json([checkpoint_to_json(g) for g in gates])
        return 0
    if not gates:
        print(f"area {args.area!r} has no checkpoints yet (gridmgr checkpoint add)")
    for g in gates:
        print(f"{g.id}\t{g.name}\t{g.lon:.6f},{g.lat:.6f}\t{_posts(g)}")
    return 0


def _print_caps(caps) -> None:
    cap = caps.cap
    parts = []
    if cap.max_capacity is not None:
        parts.append(f"{cap.max_capacity:,} × {cap.percent}%")
    if cap.instant is not None:
        parts.append(f"instant cap {cap.instant:,}")
    if caps.children:
        parts.append(f"the sum of its {caps.children} child areas' limits")
    limit = "no limit" if caps.limit is None else f"limit {caps.limit:,} inside at once"
    print(f"{caps.area}: {limit}" + (f" ({'; '.join(parts)})" if parts else ""))
    for s in caps.slots:
        print(f"  slot {s.label}: {s.quota:,} entries")


def _cmd_capacity_set(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.checkpoints import set_capacity
    from gridmgr.web.api.checkpoints_json import capacity_to_json

    caps = set_capacity(
        engine,
        args.area,
        max_capacity=args.max_capacity,
        percent=args.percent,
        instant=args.instant,
        slots=args.slot,
    )
    if args.json:
        print_json(capacity_to_json(caps))
    else:
        _print_caps(caps)
    return 0


def _cmd_capacity_show(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.checkpoints import get_capacity
    from gridmgr.web.api.checkpoints_json import capacity_to_json

    caps = get_capacity(engine, args.area)
    if args.json:
        print_json(capacity_to_json(caps))
    else:
        _print_caps(caps)
    return 0


def _cmd_count(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.finding_views import CLI
    from gridmgr.services.occupancy import record_count
    from gridmgr.web.api.checkpoints_json import count_to_json

    made, _ = record_count(
        engine,
        args.area,
        args.id,
        CLI,
        n_in=args.n_in,
        n_out=args.n_out,
        at=args.at,
        override=args.override,
        reason=args.reason,
    )
    if args.json:
        print_json(count_to_json(made))
    else:
        limit = "no limit" if made.limit is None else f"of {made.limit:,}"
        print(f"{made.occupancy:,} inside {limit}: {made.status}")
    return 0


def _cmd_occupancy(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.occupancy import occupancy
    from gridmgr.web.api.checkpoints_json import occupancy_to_json

    now = occupancy(engine, args.area, at=args.at)
    if args.json:
        print_json(occupancy_to_json(now))
        return 0
    limit = "no limit" if now.limit is None else f"of {now.limit:,}"
    print(f"{now.name} {now.day}: {now.occupancy:,} inside {limit} ({now.status})")
    print(f"entries {now.entries:,}, exits {now.exits:,}")
    for s in now.slots:
        print(f"  slot {s.start}-{s.end}: {s.entries:,} of {s.quota:,} entries")
    for c in now.checkpoints:
        print(f"  {c.id}\t{c.name}: in {c.n_in:,}, out {c.n_out:,}")
    return 0
