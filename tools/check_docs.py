"""Docs checks run by ``nox -s docs`` (and by the test suite):

1. ``docs/rules.md`` is exactly what the rule catalogue generates (``luutru-aip rules --markdown``).
2. Every relative link in README.md and docs/*.md points at a file that exists.
3. Every CLI command and sub-command has a section in docs/cli.md.
4. Every JSON Schema in ``schemas/`` is itself a valid Draft 2020-12 schema.

``python tools/check_docs.py --write`` regenerates docs/rules.md.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
import jsonschema

from luutru_aip.cli import cli
from luutru_aip.render.rules_doc import rules_markdown

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def check_rules_page(write: bool) -> list[str]:
    page = ROOT / "docs" / "rules.md"
    wanted = rules_markdown()
    if write:
        page.write_text(wanted, encoding="utf-8")
        return []
    if not page.exists() or page.read_text(encoding="utf-8") != wanted:
        return ["docs/rules.md is out of date: run `python tools/check_docs.py --write`"]
    return []


def check_links() -> list[str]:
    problems = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                problems.append(f"{page.relative_to(ROOT)}: broken link to {target}")
    return problems


def _command_names(group: click.Group, prefix: str) -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        names.append(full)
        if isinstance(command, click.Group):
            names.extend(_command_names(command, full))
    return names


def check_cli_page() -> list[str]:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{2,4} `([^`]+)`", text, flags=re.M))
    problems = []
    for name in _command_names(cli, "luutru-aip"):
        if not any(h == name or h.startswith(name + " ") for h in headings):
            problems.append(f"docs/cli.md has no section for `{name}`")
    return problems


def check_json_schemas() -> list[str]:
    problems = []
    for path in sorted((ROOT / "schemas").glob("*.json")):
        try:
            jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, jsonschema.SchemaError) as exc:
            problems.append(f"schemas/{path.name}: {exc}")
    return problems


def main(argv: list[str]) -> int:
    write = "--write" in argv
    problems = check_rules_page(write) + check_links() + check_cli_page() + check_json_schemas()
    for line in problems:
        print(line)
    if problems:
        return 1
    print("docs: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
