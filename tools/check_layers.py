"""Check that imports inside ``luutru_aip`` only point downward through the layers of design.md.

Layers (a module may import its own layer's siblings and anything below):

    L0 vocabulary   errors, findings, model, vocab
    L1 adapters     _fs, fixity, metadata, identify, pdf
    L2 operations   ingest, build, validate, signing    (validate never imports build)
    L3 services     audit, migrate
    L4 presentation render, cli

Also: ``fido`` may be imported only by ``luutru_aip.identify.fido`` and ``pikepdf`` only by
``luutru_aip.pdf`` (one adapter module per outside library). Every import counts, including
imports inside functions and ``TYPE_CHECKING`` blocks.

Usage: ``python tools/check_layers.py [SRC_DIR]``; exit 1 with one line per violation.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "luutru_aip"
LAYERS: dict[str, int] = {
    "errors": 0,
    "findings": 0,
    "model": 0,
    "vocab": 0,
    "_fs": 1,
    "fixity": 1,
    "metadata": 1,
    "identify": 1,
    "pdf": 1,
    "ingest": 2,
    "build": 2,
    "validate": 2,
    "signing": 2,
    "audit": 3,
    "migrate": 3,
    "render": 4,
    "cli": 4,
}
# The package root (__init__, __main__) sits outside the layers: __init__ may import nothing
# of ours but metadata, __main__ only the CLI.
ROOT_ALLOWED = {"__init__": set(), "__main__": {"cli"}}
FORBIDDEN_PAIRS = {("validate", "build")}
ADAPTERS = {"fido": {"luutru_aip.identify.fido"}, "pikepdf": {"luutru_aip.pdf"}}


def module_name(src: Path, path: Path) -> str:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            out.append((node.lineno, target))
            # `from luutru_aip import validate` imports the subpackage itself.
            if target == PACKAGE:
                out.extend((node.lineno, f"{PACKAGE}.{alias.name}") for alias in node.names)
    return out


def top_area(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1]


def check(src: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted((src / PACKAGE).rglob("*.py")):
        module = module_name(src, path)
        area = top_area(module) or "__init__"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, target in imported_modules(tree, module, path.name == "__init__.py"):
            where = f"{path}:{lineno}"
            root = target.split(".")[0]
            if root in ADAPTERS and module not in ADAPTERS[root]:
                allowed = ", ".join(sorted(ADAPTERS[root]))
                problems.append(f"{where}: {module} imports {root}; only {allowed} may")
                continue
            target_area = top_area(target)
            if target_area is None or target_area == area:
                continue
            if area in ROOT_ALLOWED:
                if target_area not in ROOT_ALLOWED[area] and target_area != "__init__":
                    problems.append(f"{where}: {module} must not import {target}")
                continue
            if area not in LAYERS:
                problems.append(f"{where}: {module} is in no layer; add '{area}' to tools/check_layers.py")
                continue
            if target_area not in LAYERS:
                if target_area not in {"__version__"}:
                    problems.append(f"{where}: {target} is in no layer; add it to tools/check_layers.py")
                continue
            if LAYERS[target_area] > LAYERS[area]:
                problems.append(
                    f"{where}: {module} (L{LAYERS[area]}) imports {target} (L{LAYERS[target_area]}): "
                    "imports must point downward"
                )
            elif (area, target_area) in FORBIDDEN_PAIRS:
                problems.append(f"{where}: {module} must not import {target} (independent check)")
    return problems


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "src"
    problems = check(src)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} layering violation(s)", file=sys.stderr)
        return 1
    print("layers: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
