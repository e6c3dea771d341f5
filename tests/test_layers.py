"""The layering check (tools/check_layers.py) passes on our code and catches violations."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layers", ROOT / "tools" / "check_layers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module
    spec.loader.exec_module(module)
    return module


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "src"
    for rel, text in files.items():
        p = src / "luutru_aip" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return src


def test_our_code_respects_the_layers() -> None:
    assert _load().check(ROOT / "src") == []


def test_upward_import_is_caught(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "findings.py": "from luutru_aip.cli import main\n",
            "cli/__init__.py": "def main(): ...\n",
        },
    )
    problems = _load().check(src)
    assert len(problems) == 1
    assert "imports must point downward" in problems[0]


def test_relative_and_function_level_imports_are_caught(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "validate/__init__.py": "def f():\n    from ..build import x\n",
            "build/__init__.py": "x = 1\n",
            "_fs.py": "from . import audit\n",
            "audit/__init__.py": "",
        },
    )
    problems = _load().check(src)
    assert any("independent check" in p for p in problems)
    assert any("_fs" in p and "audit" in p for p in problems)


def test_adapter_rule(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "identify/__init__.py": "import fido\n",
            "identify/fido.py": "import fido\n",
            "pdf.py": "import pikepdf\n",
            "build/__init__.py": "import pikepdf\n",
        },
    )
    problems = _load().check(src)
    assert len(problems) == 2
    assert any("identify" in p and "fido" in p for p in problems)
    assert any("build" in p and "pikepdf" in p for p in problems)
