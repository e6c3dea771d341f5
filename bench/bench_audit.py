"""Benchmark: ``luutru-aip audit run`` against reference hashing tools, in the same run (issue 7).

Every figure is the median of ``--repeat`` whole-process runs after one warm-up run of each
command (the warm-up also fills the page cache, which this VM empties after about a minute of
disuse; all figures are *warm*). Reference tools get the same files and the same number of
processes:

* **bare loop**: a plain ``hashlib.sha256`` loop with 1 MiB ``readinto`` reads over the list of
  files (no walk, no manifest, no database), in 1 process or a ``multiprocessing`` pool of N;
* ``openssl dgst -sha256`` through ``xargs -P N``;
* ``hashdeep -c sha256 -a`` (audit mode against a known-hashes file), ``-j N``, when installed;
* ``bagit.py --validate --processes N`` on the same bag (sha256 manifest only).

Cases and the targets of issue 7:

1. ``pages``: about 2 GB of PDF-like files of 0.1–10 MB (``--pages-mb``). Audit throughput
   ≥ 0.9 × the bare loop at 1 and at 2 workers; parity with bagit-python; ≥ 2 × hashdeep.
2. ``small``: 50,000 files of 2–20 KB (``--small-files``). Files/s ≥ 0.8 × the *single-process*
   bare loop, ≥ 3 × ``bagit.py --validate --processes 2``.
3. ``memory``: peak RSS of an audit of 10⁵ and 10⁶ empty files (``--memory-files``): it must
   stay flat (manifests are streamed; large packages are compared with the history, not held).

``luutru-aip audit run`` is measured twice: on an existing history (the nightly case, every file
known) and on an empty one (the first audit: every path is new). Peak RSS comes from ``wait4``.

Run (also ``nox -s bench -- bench_audit``)::

    python bench/bench_audit.py            # full: about 6 minutes here
    python bench/bench_audit.py --small    # quick: about 1 minute (or LUUTRU_AIP_BENCH_SMALL=1)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

BAGIT_PY = shutil.which("bagit.py") or str(Path(sys.executable).with_name("bagit.py"))
HASHDEEP = shutil.which("hashdeep")
OPENSSL = shutil.which("openssl")

# The audit engine through its Python API: what a cron job or a service runs (no CLI start-up).
OURS = (
    "import sys, time\n"
    "from luutru_aip.audit import AuditOptions, run_audit\n"
    "start = time.perf_counter()\n"
    "result = run_audit([sys.argv[1]], db=sys.argv[2], signature_verifier=None,\n"
    "                   options=AuditOptions(cycle_days=0, workers=int(sys.argv[3])))\n"
    "print(f'elapsed={time.perf_counter() - start}')\n"
    "sys.exit(result.exit_code)\n"
)
# `luutru-aip audit run` through the command line (works before and after the command is registered).
OURS_CLI = (
    "import sys\n"
    "from luutru_aip.cli import cli, main\n"
    "from luutru_aip.cli.audit import command\n"
    "cli.add_command(command)\n"
    "sys.exit(main(sys.argv[1:]))\n"
)

BARE = r"""
import hashlib, sys
from multiprocessing import Pool

def digest(path):
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.digest()

if __name__ == "__main__":
    import time
    start = time.perf_counter()
    with open(sys.argv[1], encoding="utf-8") as fh:
        paths = fh.read().split("\n")[:-1]
    procs = int(sys.argv[2])
    if procs == 1:
        for p in paths:
            digest(p)
    else:
        with Pool(procs) as pool:
            for _ in pool.imap_unordered(digest, paths, chunksize=64):
                pass
    print(f"elapsed={time.perf_counter() - start}")
"""


def make_bag(root: Path, sizes: Sequence[int], *, seed: int = 1) -> list[str]:
    """Write a BagIt 1.0 bag (sha256 manifests) with files of the given sizes; returns their paths."""
    rng = random.Random(seed)
    block = rng.randbytes(1 << 20)
    (root / "data").mkdir(parents=True)
    lines: list[str] = []
    paths: list[str] = []
    total = 0
    for i, size in enumerate(sizes):
        folder = root / "data" / f"hop-{i // 1000:04d}"
        if i % 1000 == 0:
            folder.mkdir()
        rel = f"data/{folder.name}/trang-{i:07d}.pdf"
        head = b"%PDF-1.7\n" + i.to_bytes(8, "little")
        if size <= len(head):
            body = head[:size]
        elif size > 65536:
            body = head + (block * (size // len(block) + 1))[: size - len(head)]
        else:
            body = head + rng.randbytes(size - len(head))
        (root / rel).write_bytes(body)
        lines.append(f"{hashlib.sha256(body).hexdigest()}  {rel}\n")
        paths.append(str(root / rel))
        total += size
    (root / "bagit.txt").write_text(
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    (root / "bag-info.txt").write_text(
        f"Bagging-Date: 2026-11-21\nPayload-Oxum: {total}.{len(sizes)}\n", encoding="utf-8"
    )
    (root / "manifest-sha256.txt").write_text("".join(lines), encoding="utf-8")
    tags = "".join(
        f"{hashlib.sha256((root / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")
    )
    (root / "tagmanifest-sha256.txt").write_text(tags, encoding="utf-8")
    return paths


INNER: dict[str, float] = {}


def timed(cmd: Sequence[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in KiB of the process and its waited-for children) of one run.

    A command that prints ``elapsed=S`` (the time of its work, without interpreter start-up and
    imports) leaves it in ``INNER["last"]``.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    INNER.pop("last", None)
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith("elapsed="):
            INNER["last"] = float(line.removeprefix("elapsed="))
    return elapsed, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def compare(
    label: str, commands: dict[str, tuple[list[str], Path | None]], repeat: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Warm up each command once, then ``repeat`` interleaved runs; median whole-process and inner seconds."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    inner: dict[str, list[float]] = {k: [] for k in commands}
    for name, (cmd, cwd) in commands.items():
        _, code, _ = timed(cmd, cwd)
        if code not in (0, 1) and "hashdeep" not in name:  # hashdeep exits 0 on "audit passed"
            print(f"  warning: {name} exited {code}", flush=True)
    for _ in range(repeat):
        for name, (cmd, cwd) in commands.items():
            seconds, _code, _rss = timed(cmd, cwd)
            times[name].append(seconds)
            if "last" in INNER:
                inner[name].append(INNER["last"])
    out = {k: statistics.median(v) for k, v in times.items()}
    inside = {k: statistics.median(v) for k, v in inner.items() if v}
    for name, seconds in out.items():
        extra = f"  (work {inside[name]:.3f} s without start-up)" if name in inside else ""
        print(f"  {label:<8} {name:<38} {seconds:8.3f} s{extra}", flush=True)
    return out, inside


def ours(root: Path, db: Path, workers: int, *, fresh: bool = False, cli: bool = False) -> list[str]:
    if cli:
        options = ["--workers", str(workers), "--cycle-days", "0", "--quiet", "--no-signatures"]
        cmd = [sys.executable, "-c", OURS_CLI, "audit", "run", str(root), "--db", str(db), *options]
    else:
        cmd = [sys.executable, "-c", OURS, str(root), str(db), str(workers)]
    if not fresh:
        return cmd
    script = f'rm -f "{db}" "{db}-wal" "{db}-shm" && exec "$@"'
    return ["sh", "-c", script, "sh", *cmd]


def bare(listfile: Path, procs: int) -> list[str]:
    return [sys.executable, "-c", BARE, str(listfile), str(procs)]


def openssl(list0: Path, procs: int) -> list[str]:
    assert OPENSSL is not None
    return ["sh", "-c", f'xargs -0 -P {procs} -n 256 "{OPENSSL}" dgst -sha256 < "{list0}" > /dev/null']


def hashdeep(procs: int) -> list[str]:
    assert HASHDEEP is not None
    return [HASHDEEP, "-c", "sha256", "-j", str(procs), "-l", "-r", "-a", "-k", "known.txt", "data"]


def bagit_py(root: Path, procs: int) -> list[str]:
    return [sys.executable, BAGIT_PY, "--validate", "--quiet", "--processes", str(procs), str(root)]


def write_lists(base: Path, paths: Sequence[str]) -> tuple[Path, Path]:
    listfile, list0 = base / "files.txt", base / "files.0"
    listfile.write_text("".join(p + "\n" for p in paths), encoding="utf-8")
    list0.write_bytes(b"".join(os.fsencode(p) + b"\0" for p in paths))
    return listfile, list0


def pages_case(base: Path, megabytes: int, repeat: int, workers: Sequence[int]) -> list[str]:
    rng = random.Random(3)
    sizes: list[int] = []
    while sum(sizes) < megabytes * 1_000_000:
        sizes.append(int(10 ** rng.uniform(5, 7)))  # 0.1-10 MB, log-uniform like scanned pages
    root = base / "pages" / "tui-ho-so"
    root.parent.mkdir()
    paths = make_bag(root, sizes)
    total = sum(sizes)
    listfile, list0 = write_lists(base, paths)
    db = base / "pages.sqlite"
    if HASHDEEP:
        with open(root / "known.txt", "wb") as fh:
            subprocess.run([HASHDEEP, "-c", "sha256", "-l", "-r", "data"], cwd=root, stdout=fh, check=True)
    print(f"pages: {len(sizes)} files, {total / 1e9:.2f} GB", flush=True)
    rows = []
    for n in workers:
        commands: dict[str, tuple[list[str], Path | None]] = {
            f"bare hashlib loop, {n} proc": (bare(listfile, n), None),
            f"luutru-aip audit, {n} workers": (ours(root.parent, db, n), None),
            f"luutru-aip audit, {n} workers, new db": (
                ours(root.parent, base / "fresh.sqlite", n, fresh=True),
                None,
            ),
        }
        if OPENSSL:
            commands[f"openssl dgst -sha256, {n} proc"] = (openssl(list0, n), None)
        if HASHDEEP:
            commands[f"hashdeep -a, {n} threads"] = (hashdeep(n), root)
        if n == 2:
            commands["bagit.py --validate --processes 2"] = (bagit_py(root, 2), None)
            commands["luutru-aip audit run (CLI), 2 workers"] = (ours(root.parent, db, 2, cli=True), None)
        res, inner = compare("pages", commands, repeat)
        bare_name, mine_name = f"bare hashlib loop, {n} proc", f"luutru-aip audit, {n} workers"
        for name, seconds in res.items():
            rows.append(
                _row(
                    "pages",
                    name,
                    seconds,
                    f"{total / seconds / 1e6:,.0f} MB/s",
                    res[bare_name],
                    res[mine_name],
                    inner,
                    bare_name,
                    lambda s: f"{total / s / 1e6:,.0f} MB/s",
                )
            )
    shutil.rmtree(root.parent)
    return rows


def _row(
    case: str,
    name: str,
    seconds: float,
    rate: str,
    bare_s: float,
    mine_s: float,
    inner: dict[str, float],
    bare_name: str,
    inner_rate: Callable[[float], str],
) -> str:
    """A table row: whole-process time and rate, ratios, and the work time without start-up when known."""
    work = ""
    if name in inner and bare_name in inner:
        work = f"{inner[name]:.3f} s, {inner_rate(inner[name])}, {inner[bare_name] / inner[name]:.2f}× bare"
    ratios = f"{bare_s / seconds:.2f}× | {seconds / mine_s:.2f}×"
    return f"| {case} | {name} | {seconds:.3f} | {rate} | {ratios} | {work} |"


def small_case(base: Path, count: int, repeat: int) -> list[str]:
    rng = random.Random(7)
    root = base / "small" / "tui-nho"
    root.parent.mkdir()
    paths = make_bag(root, [rng.randint(2048, 20480) for _ in range(count)])
    listfile, _list0 = write_lists(base, paths)
    db = base / "small.sqlite"
    print(f"small: {count} files of 2-20 KB", flush=True)
    commands: dict[str, tuple[list[str], Path | None]] = {
        "bare hashlib loop, 1 proc": (bare(listfile, 1), None),
        "luutru-aip audit, 2 workers": (ours(root.parent, db, 2), None),
        "luutru-aip audit, 2 workers, new db": (
            ours(root.parent, base / "fresh.sqlite", 2, fresh=True),
            None,
        ),
        "luutru-aip audit, 1 worker": (ours(root.parent, db, 1), None),
        "luutru-aip audit run (CLI), 2 workers": (ours(root.parent, db, 2, cli=True), None),
        "bagit.py --validate --processes 2": (bagit_py(root, 2), None),
    }
    res, inner = compare("small", commands, repeat)
    bare_name, mine_name = "bare hashlib loop, 1 proc", "luutru-aip audit, 2 workers"
    rows = [
        _row(
            "small",
            name,
            seconds,
            f"{count / seconds:,.0f} files/s",
            res[bare_name],
            res[mine_name],
            inner,
            bare_name,
            lambda s: f"{count / s:,.0f} files/s",
        )
        for name, seconds in res.items()
    ]
    shutil.rmtree(root.parent)
    return rows


def memory_case(base: Path, counts: Sequence[int]) -> list[str]:
    rows = []
    for count in counts:
        root = base / f"mem-{count}" / "tui-lon"
        root.parent.mkdir()
        # Written by another process: on Linux a child's peak RSS starts from its parent's at fork time,
        # so this process must stay small for the figures to be the audit's own.
        maker = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_audit as b; "
        maker += f"from pathlib import Path; b.make_bag(Path({str(root)!r}), [0] * {count})"
        subprocess.run([sys.executable, "-c", maker], check=True)
        db = base / f"mem-{count}.sqlite"
        seconds, code, rss = timed(ours(root.parent, db, 2))
        again, code2, rss2 = timed(ours(root.parent, db, 2))
        print(
            f"memory: {count:,} files: first audit {seconds:.1f} s (rc={code}) "
            f"peak RSS {rss / 1024:.0f} MiB; "
            f"second {again:.1f} s (rc={code2}) peak RSS {rss2 / 1024:.0f} MiB",
            flush=True,
        )
        rows.append(
            f"| memory | {count:,} empty files, first audit | {seconds:.1f} | "
            f"{count / seconds:,.0f} files/s | | | peak RSS {rss / 1024:.0f} MiB |"
        )
        rows.append(
            f"| memory | {count:,} empty files, next audit | {again:.1f} | "
            f"{count / again:,.0f} files/s | | | peak RSS {rss2 / 1024:.0f} MiB |"
        )
        shutil.rmtree(root.parent)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--small",
        action="store_true",
        default=os.environ.get("LUUTRU_AIP_BENCH_SMALL") == "1",
        help="quick run: smaller corpora",
    )
    parser.add_argument("--pages-mb", type=int, default=None)
    parser.add_argument("--small-files", type=int, default=None)
    parser.add_argument("--memory-files", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default="1,2", help="worker counts for the pages case")
    parser.add_argument("--cases", default="pages,small,memory")
    parser.add_argument("--tmp", default=None, help="parent folder of the temporary corpora")
    args = parser.parse_args(argv)
    pages_mb = args.pages_mb or (400 if args.small else 2048)
    small_files = args.small_files or (10_000 if args.small else 50_000)
    memory_files = args.memory_files or (100_000 if args.small else 1_000_000)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    cases = {c.strip() for c in args.cases.split(",")}
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; hashdeep: {HASHDEEP or 'not installed'}; "
        f"bagit.py: {BAGIT_PY}; median of {args.repeat} warm runs after a warm-up",
        flush=True,
    )
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-audit-", dir=args.tmp) as tmp:
        base = Path(tmp)
        if "pages" in cases:
            rows += pages_case(base, pages_mb, args.repeat, workers)
        if "small" in cases:
            rows += small_case(base, small_files, args.repeat)
        if "memory" in cases:
            rows += memory_case(
                base, sorted({max(1, memory_files // 10), max(1, 3 * memory_files // 10), memory_files})
            )
    print()
    print(
        "| case | command | median s (whole process) | rate "
        "| bare loop ÷ this (same procs; small: bare 1 proc) "
        "| this ÷ audit | work only (no interpreter start-up, no imports) |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
