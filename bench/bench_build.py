"""Benchmark: building a package against ``cp -r`` followed by a bare hashlib SHA-256 pass.

Issue 4's reference: copy the same files with ``cp -r`` and then hash the copies with a bare
``hashlib.sha256`` loop (1 MiB reads), in the same run. Building copies, digests, identifies (PRONOM)
and inspects PDFs, so hashing during the copy has to hide most of that cost; the target is at most
1.1x the reference. Peak RSS of the build (``os.wait4`` rusage of the child) shows memory independent
of the total size.

Cases:

1. ``--large`` PDFs of 1-8 MB, about ``--large-mb`` MB in total (default 1024);
2. ``--many`` files (default 10,000) of 20-400 KB: the "10,000-file package".

Every figure is the median of ``--repeat`` whole-process runs after a warm-up run (this VM evicts
page-cache pages left untouched for about a minute, so each case warms its own source files). Figures
are warm-cache. Run: ``python bench/bench_build.py [--large-mb M] [--many N] [--repeat K] [--workers W]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNNER = r"""
import json, sys
from datetime import datetime
from pathlib import Path
from luutru_aip.build import BuildOptions, build_package
from luutru_aip.model import (ArchiveProfile, DocumentRecord, FileRecord, PackageType, PartialDate, VN_TZ)
source, out, workers, fmt = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sync = sys.argv[5] == "sync"
names = json.loads((source.parent / "names.json").read_text())
docs = tuple(
    DocumentRecord(i + 1, "02", PartialDate(2001, 1, 1), "UBND", "Trích yếu", ("01",), "01", "01", files=(n,))
    for i, n in enumerate(names)
)
record = FileRecord("H40.21.05.2001.01", "Hồ sơ", "01", "01", ("01",), PartialDate(2001), PartialDate(2001),
                    len(docs), len(docs), docs)
profile = ArchiveProfile("Trung tâm Lưu trữ lịch sử", "H40.21.05", "P623")
result = build_package(record, source_root=source, out_dir=out, profile=profile,
                       options=BuildOptions(format=fmt, workers=workers, sync=sync),
                       clock=datetime(2026, 11, 21, 9, 0, tzinfo=VN_TZ))
sys.exit(0 if result.built else 1)
"""

HASH_PASS = r"""
import hashlib, mmap, os, sys
buf = mmap.mmap(-1, 1 << 20)
for top, _dirs, files in os.walk(sys.argv[1]):
    for name in files:
        h = hashlib.sha256()
        fd = os.open(os.path.join(top, name), os.O_RDONLY)
        while n := os.readv(fd, [buf]):
            h.update(memoryview(buf)[:n])
        os.close(fd)
"""


def _pdf(size: int, rng: random.Random) -> bytes:
    """A small valid PDF padded with an incompressible image stream to about ``size`` bytes."""
    body = rng.randbytes(max(size - 900, 100))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8"
        b" /Length %d >>\nstream\n" % (len(body), len(body)) + body + b"\nendstream",
        b"<< /Length 33 >>\nstream\nq 595 0 0 842 0 0 cm /Im1 Do Q\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_source(root: Path, sizes: list[int]) -> Path:
    rng = random.Random(7)
    source = root / "source"
    names = []
    for i, size in enumerate(sizes):
        rel = f"hop{i // 500:03d}/tl{i:05d}.pdf"
        path = source / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_pdf(size, rng))
        names.append(rel)
    (root / "names.json").write_text(json.dumps(names))
    return source


def _timed(cmd: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss // 1024


def _reference(source: Path, scratch: Path) -> float:
    target = scratch / "cp"
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    subprocess.run([sys.executable, "-c", HASH_PASS, str(target)], check=True)
    elapsed = time.perf_counter() - start
    shutil.rmtree(target)
    return elapsed


def _ours(source: Path, scratch: Path, workers: int, fmt: str, sync: str = "sync") -> tuple[float, int]:
    out = scratch / "out"
    out.mkdir()
    try:
        return _timed([sys.executable, "-c", RUNNER, str(source), str(out), str(workers), fmt, sync])
    finally:
        shutil.rmtree(out)


def run_case(label: str, sizes: list[int], repeat: int, workers: int, base: Path) -> None:
    case = base / label
    case.mkdir()
    source = make_source(case, sizes)
    total = sum(sizes) / 1e6
    print(f"\n## {label}: {len(sizes)} files, {total:.0f} MB (warm cache, median of {repeat})")
    _reference(source, case)
    _ours(source, case, 1, "dir")
    refs = [_reference(source, case) for _ in range(repeat)]
    ref = statistics.median(refs)
    print(f"reference cp -r + hashlib sha256: {ref:.2f} s ({total / ref:.0f} MB/s)")
    for count in sorted({1, workers}):
        for fmt, sync in (("dir", "nosync"), ("dir", "sync"), ("bag", "nosync")):
            runs = [_ours(source, case, count, fmt, sync) for _ in range(repeat)]
            med = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            label = "durable (sync before publishing)" if sync == "sync" else "no sync, like cp -r"
            print(
                f"luutru-aip build --format {fmt} --workers {count} [{label}]: {med:.2f} s, "
                f"ratio {med / ref:.2f}x the reference (target <= 1.1x), peak RSS {rss} MiB"
            )
    shutil.rmtree(case)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large-mb", type=int, default=1024)
    parser.add_argument("--many", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    rng = random.Random(3)
    large: list[int] = []
    while sum(large) < args.large_mb * 1_000_000:
        large.append(rng.randint(1_000_000, 8_000_000))
    many = [rng.randint(20_000, 400_000) for _ in range(args.many)]
    with tempfile.TemporaryDirectory(prefix="bench-build-", dir=os.environ.get("BENCH_TMP")) as tmp:
        base = Path(tmp)
        run_case("large PDFs", large, args.repeat, args.workers, base)
        run_case("many files", many, args.repeat, args.workers, base)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
