"""Benchmark: luutru-aip BagIt validation against bagit-python (``bagit.py --validate``).

Both tools validate the *same* bags (same files, same manifests), with the same
number of processes, in the same run. Every figure is the median of ``--repeat``
whole-process runs after one warm-up run of each tool (the warm-up also warms
the page cache, which this VM evicts after about a minute; figures are *warm*).

Cases:

1. a bag of large files (``--large-mb`` MB in total, default 1536), target: parity;
2. a bag of ``--small-files`` files of 2-20 KB (default 50,000), target: >= 3x faster;
3. ``--fast`` on a bag of ``--fast-files`` files (default 100,000): time and peak RSS
   (``os.wait4`` rusage of the child), against ``bagit.py --validate --fast``
   (Payload-Oxum only) and ``--completeness-only``.

Run: ``python bench/bench_validate_bagit.py [--small-files N] [--large-mb M] [--repeat K]``.
Corpora are written under a temporary folder that is removed at the end.
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
from collections.abc import Sequence
from pathlib import Path

BAGIT_PY = shutil.which("bagit.py") or str(Path(sys.executable).with_name("bagit.py"))

OUR_RUNNER = """
import sys
from luutru_aip.validate import validate
report = validate(sys.argv[1], workers=int(sys.argv[2]), fast=sys.argv[3] == "fast")
sys.exit(0 if report.valid else 1)
"""


def make_bag(root: Path, sizes: Sequence[int], algorithms: Sequence[str], *, seed: int = 1) -> Path:
    """Write a BagIt 1.0 bag whose payload files have the given sizes; returns its folder."""
    rng = random.Random(seed)
    data = root / "data"
    data.mkdir(parents=True)
    block = rng.randbytes(1 << 20)
    lines: dict[str, list[str]] = {a: [] for a in algorithms}
    total = 0
    per_dir = 1000
    for i, size in enumerate(sizes):
        folder = data / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            folder.mkdir()
        rel = f"data/{folder.name}/f{i:07d}.bin"
        hashers = [hashlib.new(a) for a in algorithms]
        with open(root / rel, "wb") as fh:
            left = size
            salt = i.to_bytes(8, "little")
            fh.write(salt[: min(8, left)])
            for h in hashers:
                h.update(salt[: min(8, left)])
            left -= min(8, left)
            while left:
                piece = block[: min(left, len(block))] if size > 65536 else rng.randbytes(min(left, 65536))
                fh.write(piece)
                for h in hashers:
                    h.update(piece)
                left -= len(piece)
        for a, h in zip(algorithms, hashers, strict=True):
            lines[a].append(f"{h.hexdigest()}  {rel}\n")
        total += size
    (root / "bagit.txt").write_text(
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    (root / "bag-info.txt").write_text(
        f"Bagging-Date: 2026-11-21\nPayload-Oxum: {total}.{len(sizes)}\n", encoding="utf-8"
    )
    for a in algorithms:
        (root / f"manifest-{a}.txt").write_text("".join(lines[a]), encoding="utf-8")
    tag_lines = []
    for name in ["bagit.txt", "bag-info.txt", *[f"manifest-{a}.txt" for a in algorithms]]:
        tag_lines.append(f"{hashlib.sha256((root / name).read_bytes()).hexdigest()}  {name}\n")
    (root / "tagmanifest-sha256.txt").write_text("".join(tag_lines), encoding="utf-8")
    return root


def timed(cmd: Sequence[str]) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in KiB) of one whole-process run, output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, usage.ru_maxrss


def ours(bag: Path, workers: int, *, fast: bool = False) -> list[str]:
    return [sys.executable, "-c", OUR_RUNNER, str(bag), str(workers), "fast" if fast else "full"]


def theirs(bag: Path, workers: int, *extra: str) -> list[str]:
    return [sys.executable, BAGIT_PY, "--validate", "--quiet", "--processes", str(workers), *extra, str(bag)]


def compare(label: str, commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, int, int]]:
    """Warm-up each command once, then ``repeat`` interleaved runs; median seconds, last rc, max RSS."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, int] = dict.fromkeys(commands, 0)
    codes: dict[str, int] = {}
    for name, cmd in commands.items():
        _, codes[name], _ = timed(cmd)  # warm-up (page cache, imports)
    for _ in range(repeat):
        for name, cmd in commands.items():
            seconds, codes[name], peak = timed(cmd)
            times[name].append(seconds)
            rss[name] = max(rss[name], peak)
    out = {k: (statistics.median(v), codes[k], rss[k]) for k, v in times.items()}
    for name, (seconds, code, peak) in out.items():
        print(
            f"  {label:<34} {name:<34} {seconds:8.3f} s  rc={code}  peak RSS {peak / 1024:7.1f} MiB",
            flush=True,
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small-files", type=int, default=50_000)
    parser.add_argument("--fast-files", type=int, default=100_000)
    parser.add_argument("--large-mb", type=int, default=1536)
    parser.add_argument("--large-files", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--algorithms", default="sha256", help="comma-separated manifest algorithms")
    parser.add_argument(
        "--cases", default="large,small,fast", help="comma-separated subset of large,small,fast"
    )
    parser.add_argument("--tmp", default=None, help="parent folder of the temporary corpora")
    args = parser.parse_args(argv)
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    cases = {c.strip() for c in args.cases.split(",")}
    workers = args.workers
    rows: list[tuple[str, str, float, float, str]] = []
    print(
        f"bagit-python: {BAGIT_PY}; workers/processes: {workers}; algorithms: {','.join(algorithms)}; "
        f"median of {args.repeat} warm runs",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-bagit-", dir=args.tmp) as tmp:
        base = Path(tmp)
        if "large" in cases:
            each = max(1, args.large_mb * (1 << 20) // args.large_files)
            bag = make_bag(base / "large", [each] * args.large_files, algorithms)
            print(f"large: {args.large_files} files, {each * args.large_files / 1e6:.0f} MB", flush=True)
            res = compare(
                "large files",
                {"luutru-aip": ours(bag, workers), "bagit.py": theirs(bag, workers)},
                args.repeat,
            )
            rows.append(
                (
                    "large files (parity)",
                    f"{args.large_mb} MB",
                    res["luutru-aip"][0],
                    res["bagit.py"][0],
                    ">= 0.9x",
                )
            )
            shutil.rmtree(bag)
        if "small" in cases:
            rng = random.Random(7)
            bag = make_bag(
                base / "small", [rng.randint(2048, 20480) for _ in range(args.small_files)], algorithms
            )
            print(f"small: {args.small_files} files of 2-20 KB", flush=True)
            res = compare(
                "small files",
                {"luutru-aip": ours(bag, workers), "bagit.py": theirs(bag, workers)},
                args.repeat,
            )
            rows.append(
                (
                    "small files",
                    f"{args.small_files} files",
                    res["luutru-aip"][0],
                    res["bagit.py"][0],
                    ">= 3x",
                )
            )
            shutil.rmtree(bag)
        if "fast" in cases:
            rng = random.Random(11)
            bag = make_bag(
                base / "fast", [rng.randint(2048, 20480) for _ in range(args.fast_files)], algorithms
            )
            print(f"fast: {args.fast_files} files of 2-20 KB", flush=True)
            res = compare(
                "--fast",
                {
                    "luutru-aip --fast": ours(bag, workers, fast=True),
                    "bagit.py --fast (oxum only)": theirs(bag, workers, "--fast"),
                    "bagit.py --completeness-only": theirs(bag, workers, "--completeness-only"),
                },
                args.repeat,
            )
            ours_fast = res["luutru-aip --fast"]
            rows.append(
                (
                    "--fast vs bagit --completeness-only",
                    f"{args.fast_files} files",
                    ours_fast[0],
                    res["bagit.py --completeness-only"][0],
                    f"RSS {ours_fast[2] / 1024:.0f} MiB",
                )
            )
            rows.append(
                (
                    "--fast vs bagit --fast (oxum only)",
                    f"{args.fast_files} files",
                    ours_fast[0],
                    res["bagit.py --fast (oxum only)"][0],
                    "",
                )
            )
    print()
    print("| case | corpus | luutru-aip (s) | bagit.py (s) | speed-up | target |")
    print("|---|---|---|---|---|---|")
    for case, corpus, ours_s, theirs_s, target in rows:
        print(f"| {case} | {corpus} | {ours_s:.3f} | {theirs_s:.3f} | {theirs_s / ours_s:.2f}x | {target} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
