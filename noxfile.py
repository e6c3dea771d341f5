"""Developer and CI sessions: ``nox -s tests lint typing docs bench build``.

Every session installs the project from its own files (pyproject.toml) into a fresh
virtual environment. The standard XSDs come from ``../shared/xsd`` (never from the repo):
set ``LUUTRU_AIP_SHARED`` to point elsewhere.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typing", "tests", "docs", "build"]
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("LUUTRU_AIP_SHARED", ROOT.parent / "shared")).resolve()


def _env(session: nox.Session) -> dict[str, str]:
    store = Path(session.create_tmp()) / "schema-store"
    return {"LUUTRU_AIP_SHARED": str(SHARED), "LUUTRU_AIP_SCHEMA_DIR": str(store)}


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pytest + hypothesis), in parallel on every core."""
    session.install("-e", ".[test]")
    args = session.posargs or ["-n", "auto", "--dist", "loadgroup"]
    session.run("pytest", *args, env=_env(session))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and the layering check (imports only point downward)."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "bench", "examples", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "examples", "tools", "noxfile.py")
    session.run("python", "tools/check_layers.py", "src")


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict over the library."""
    session.install("-e", ".", "mypy>=1.10", "lxml-stubs>=0.5")
    session.run("mypy", "--strict", "src/luutru_aip")


@nox.session
def docs(session: nox.Session) -> None:
    """Docs: the rules page is current, links resolve, code examples and doctests run."""
    session.install("-e", ".[test]")
    session.run("python", "tools/check_docs.py", env=_env(session))
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--doctest-modules",
        "src/luutru_aip",
        "--doctest-glob=*.md",
        "docs",
        "-W",
        "error",
        env=_env(session),
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against reference tools measured in the same run (medians, ratios)."""
    session.install("-e", ".[test]")
    scripts = sorted(ROOT.glob("bench/bench_*.py"))
    selected = [s for s in scripts if not session.posargs or any(a in s.name for a in session.posargs)]
    for script in selected:
        session.log(f"== {script.name}")
        session.run("python", str(script), env=_env(session))


@nox.session
def build(session: nox.Session) -> None:
    """Build the wheel, install it in a fresh venv, and run the CLI from it on the example."""
    session.install("build>=1.0")
    out = Path(session.create_tmp()) / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "-m", "build", "--wheel", "--outdir", str(out))
    wheels = sorted(out.glob("luutru_aip-*.whl"))
    if len(wheels) != 1:
        session.error(f"expected one wheel in {out}, found {wheels}")
    with tempfile.TemporaryDirectory(prefix="luutru-wheel-") as tmp:
        venv = Path(tmp) / "venv"
        session.run("python", "-m", "venv", str(venv))
        bindir = venv / "bin"
        session.run(str(bindir / "pip"), "install", "-q", str(wheels[0]), external=True)
        env = {"LUUTRU_AIP_SCHEMA_DIR": str(Path(tmp) / "store")}
        cli = str(bindir / "luutru-aip")
        session.run(cli, "--version", external=True, env=env)
        session.run(cli, "--help", external=True, env=env)
        session.run(cli, "rules", "--quiet", external=True, env=env)
        session.run(cli, "schemas", "install", "--from", str(SHARED / "xsd"), external=True, env=env)
        session.run(cli, "schemas", "list", external=True, env=env)
        session.run(str(bindir / "python"), "-m", "luutru_aip", "--version", external=True, env=env)
        with session.chdir(tmp):  # the installed package must not rely on the source tree
            session.run(cli, "validate", str(ROOT / "examples" / "bag-ho-so-01"), external=True, env=env)
