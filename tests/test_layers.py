"""The package's layers (docs/architecture.md): imports run one way, and no module reaches into another's
private names. Walks every module's imports with ast, so a violation fails the suite, not a review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "gridmgr"
# rank of each layer: a module may import its own layer and any of lower rank; two different layers of
# one rank (geometry and rules; files and db) may not import each other
RANKS = {
    "errors": 0,
    "geometry": 1,
    "rules": 1,
    "files": 2,
    "db": 2,
    "services": 3,
    "web": 4,
    "templates": 4,
    "cli": 5,
}


def module_name(path: Path) -> str:
    """The dotted module name of a file under the repository."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The layer a gridmgr module belongs to (its first folder or root module), None for the root."""
    parts = module.split(".")
    if parts[0] != "gridmgr" or len(parts) == 1 or parts[1] == "__version__":
        return None
    return "cli" if parts[1] == "__main__" else parts[1]


def imported(tree: ast.Module, here: str) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every gridmgr import of a module, relative ones resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names if a.name.startswith("gridmgr")]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = here.split(".")[: -node.level]
                module = ".".join([*base, module] if module else base)
            if module.startswith("gridmgr"):
                found.append((node.lineno, module, [a.name for a in node.names]))
    return found


def module_aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound to gridmgr modules (`from gridmgr.geometry import datum`, `import x as y`)."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gridmgr"):
            for a in node.names:
                target = f"{node.module}.{a.name}"
                if (PACKAGE.parent / (target.replace(".", "/") + ".py")).exists() or (
                    PACKAGE.parent / target.replace(".", "/")
                ).is_dir():
                    aliases[a.asname or a.name] = target
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("gridmgr") and a.asname:
                    aliases[a.asname] = a.name
    return aliases


def private_uses(tree: ast.Module, here: str) -> list[str]:
    """Private names of other modules this module imports or reads (`from x import _y`, `x._y`)."""
    bad = []
    for line, module, names in imported(tree, here):
        segments = module.split(".")
        if any(s.startswith("_") and s != "__main__" for s in segments):
            bad.append(f"line {line}: imports the private module {module}")
        if module != here:
            bad += [
                f"line {line}: imports {n} from {module}"
                for n in names
                if n.startswith("_") and n != "__version__"
            ]
    aliases = module_aliases(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            bad.append(f"line {node.lineno}: reads {aliases[node.value.id]}.{node.attr}")
    return bad


def sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", sources(PACKAGE), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path: Path):
    here = module_name(path)
    mine = layer_of(here)
    if mine is None:  # gridmgr/__init__.py: the version only
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = []
    for line, module, names in imported(tree, here):
        targets = [module] if layer_of(module) else [f"{module}.{n}" for n in names]
        for target in targets:
            theirs = layer_of(target)
            if theirs is None or theirs == mine:
                continue
            if RANKS[theirs] >= RANKS[mine]:
                wrong.append(f"line {line}: {mine} imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "path",
    sources(PACKAGE) + sources(ROOT / "tests") + sources(ROOT / "benchmarks"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_private_names_across_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = private_uses(tree, module_name(path))
    assert not bad, "\n".join(bad)


def test_the_walk_catches_what_it_forbids():
    """The checks themselves: an upward import and a private name are both found."""
    tree = ast.parse(
        "from gridmgr.services import grid\n"
        "from gridmgr.db.queries import _hidden\n"
        "from gridmgr.geometry import datum\n"
        "datum._secret\n"
    )
    here = "gridmgr.geometry.example"
    ups = [
        m for _, m, _ in imported(tree, here) if RANKS[layer_of(m) or "errors"] > RANKS["geometry"]
    ]
    assert ups == ["gridmgr.services", "gridmgr.db.queries"]
    bad = private_uses(tree, here)
    assert any("_hidden" in b for b in bad) and any("datum._secret" in b for b in bad)


def test_every_module_is_in_a_layer():
    """Nothing but the package's own entry points sits at its root: each module is in a layer folder."""
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py", "errors.py"}
    assert not loose, f"modules outside a layer folder: {sorted(loose)}"
    assert set(RANKS) >= {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"
    }
