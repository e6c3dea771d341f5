"""Benchmark: luutru-aip E-ARK CSIP validation of a large folder package, against bare loops.

The package (``--files`` files of 2-20 KB, default 10,000, in ``representations/rep1/data``) has a
root METS, a representation METS listing every file with its SHA-256, and a PREMIS file describing
every file (fixity and size), so a full run parses two large METS/PREMIS documents, checks every
reference, and verifies every file once (one read per file for the METS and PREMIS digests).

Measured in the same run, each the median of ``--repeat`` warm whole-process runs after one warm-up
run (the warm-up also fills the page cache, which this VM evicts after about a minute):

* ``validate --fast`` (structure, references, sizes; no hashing) and ``validate`` (full), with
  ``--workers`` processes; time and peak RSS (``os.wait4`` rusage of the child);
* a bare ``os.walk`` + ``stat`` loop (the floor for ``--fast``) and a bare ``hashlib.sha256`` loop in
  one process over the same files (the floor for the full run), and the ratios against them.

Schemas are off by default (``--schemas`` validates them through the store named by
``LUUTRU_AIP_SCHEMA_DIR``). Run: ``python bench/bench_validate_csip.py [--files N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

OUR_RUNNER = """
import sys
from luutru_aip.validate import validate
report = validate(sys.argv[1], profile="csip", workers=int(sys.argv[2]), fast=sys.argv[3] == "fast",
                  schemas=sys.argv[4] == "schemas")
sys.exit(0 if report.valid else 1)
"""

BARE_HASH = """
import hashlib, os, sys
buf = bytearray(1 << 20)
view = memoryview(buf)
for folder, _dirs, files in os.walk(sys.argv[1]):
    for name in files:
        h = hashlib.sha256()
        with open(os.path.join(folder, name), "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
"""

BARE_WALK = """
import os, sys
total = 0
for folder, _dirs, files in os.walk(sys.argv[1]):
    for name in files:
        total += os.stat(os.path.join(folder, name)).st_size
"""

NS = (
    'xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS"'
)
T = "2025-07-01T09:00:00+07:00"


def _file(ident: str, href: str, size: int, digest: str, mime: str) -> str:
    return (
        f'<mets:file ID="{ident}" MIMETYPE="{mime}" SIZE="{size}" CREATED="{T}" CHECKSUM="{digest}" '
        'CHECKSUMTYPE="SHA-256"><mets:FLocat LOCTYPE="URL" xlink:type="simple" '
        f'xlink:href="{href}"/></mets:file>\n'
    )


def _hdr(ptype: str) -> str:
    return (
        f'<mets:metsHdr CREATEDATE="{T}" csip:OAISPACKAGETYPE="{ptype}"><mets:agent ROLE="CREATOR" '
        'TYPE="OTHER" '
        'OTHERTYPE="SOFTWARE"><mets:name>bench</mets:name><mets:note csip:NOTETYPE="SOFTWARE '
        'VERSION">1</mets:note>'
        "</mets:agent></mets:metsHdr>\n"
    )


def _ref(kind: str, ident: str, href: str, data: bytes, mdtype: str) -> str:
    return (
        f'<mets:{kind} ID="{ident}" CREATED="{T}" STATUS="CURRENT"><mets:mdRef LOCTYPE="URL" '
        'xlink:type="simple" '
        f'xlink:href="{href}" MDTYPE="{mdtype}" MIMETYPE="application/xml" SIZE="{len(data)}" CREATED="{T}" '
        f'CHECKSUM="{hashlib.sha256(data).hexdigest()}" CHECKSUMTYPE="SHA-256"/></mets:{kind}>\n'
    )


def make_package(root: Path, count: int, *, seed: int = 3) -> Path:
    """Write a valid CSIP folder package with ``count`` data files; returns its folder."""
    rng = random.Random(seed)
    data = root / "representations" / "rep1" / "data"
    files: list[tuple[str, int, str]] = []
    for i in range(count):
        folder = data / f"d{i // 1000:04d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True)
        blob = i.to_bytes(8, "little") + rng.randbytes(rng.randint(2048, 20480) - 8)
        (folder / f"f{i:07d}.bin").write_bytes(blob)
        files.append((f"{folder.name}/f{i:07d}.bin", len(blob), hashlib.sha256(blob).hexdigest()))
    rep = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<mets:mets {NS} OBJID="rep1" TYPE="Datasets" '
        'csip:CONTENTINFORMATIONTYPE="OTHER" csip:OTHERCONTENTINFORMATIONTYPE="bench" '
        'PROFILE="https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml">\n',
        _hdr("AIP"),
        '<mets:fileSec ID="fs"><mets:fileGrp ID="g" USE="Data">\n',
        *(
            _file(f"f{i}", f"data/{rel}", size, digest, "application/octet-stream")
            for i, (rel, size, digest) in enumerate(files)
        ),
        '</mets:fileGrp></mets:fileSec><mets:structMap ID="sm" TYPE="PHYSICAL" LABEL="CSIP">'
        '<mets:div ID="d" LABEL="rep1"><mets:div ID="dd" LABEL="Data"><mets:fptr FILEID="g"/></mets:div>'
        "</mets:div></mets:structMap></mets:mets>\n",
    ]
    rep_bytes = "".join(rep).encode()
    (root / "representations" / "rep1" / "METS.xml").write_bytes(rep_bytes)
    (root / "representations" / "rep1" / "metadata").mkdir()
    premis = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<premis:premis xmlns:premis="http://www.loc.gov/premis/v3" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0">\n'
    ]
    for rel, size, digest in files:
        premis.append(
            '<premis:object xsi:type="premis:file"><premis:objectIdentifier>'
            "<premis:objectIdentifierType>local"
            "</premis:objectIdentifierType><premis:objectIdentifierValue>representations/rep1/data/"
            f"{rel}</premis:objectIdentifierValue></premis:objectIdentifier><premis:objectCharacteristics>"
            "<premis:fixity><premis:messageDigestAlgorithm>SHA-256</premis:messageDigestAlgorithm>"
            f"<premis:messageDigest>{digest}</premis:messageDigest></premis:fixity><premis:size>{size}"
            "</premis:size><premis:format><premis:formatDesignation><premis:formatName>bin</premis:formatName>"
            "</premis:formatDesignation></premis:format></premis:objectCharacteristics></premis:object>\n"
        )
    premis.append("</premis:premis>\n")
    premis_bytes = "".join(premis).encode()
    (root / "metadata" / "preservation").mkdir(parents=True)
    (root / "metadata" / "preservation" / "premis.xml").write_bytes(premis_bytes)
    (root / "documentation").mkdir()
    doc = b"bench package\n"
    (root / "documentation" / "readme.txt").write_bytes(doc)
    (root / "schemas").mkdir()
    xsd = b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n'
    (root / "schemas" / "local.xsd").write_bytes(xsd)
    mets = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<mets:mets {NS} OBJID="{root.name}" TYPE="Datasets" '
        'csip:CONTENTINFORMATIONTYPE="OTHER" csip:OTHERCONTENTINFORMATIONTYPE="bench" '
        'PROFILE="https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml">\n'
        + _hdr("AIP")
        + '<mets:amdSec ID="amd">'
        + _ref("digiprovMD", "prov", "metadata/preservation/premis.xml", premis_bytes, "PREMIS")
        + '</mets:amdSec><mets:fileSec ID="fs"><mets:fileGrp ID="gd" USE="Documentation">'
        + _file("doc", "documentation/readme.txt", len(doc), hashlib.sha256(doc).hexdigest(), "text/plain")
        + '</mets:fileGrp><mets:fileGrp ID="gs" USE="Schemas">'
        + _file("xsd", "schemas/local.xsd", len(xsd), hashlib.sha256(xsd).hexdigest(), "application/xml")
        + '</mets:fileGrp><mets:fileGrp ID="gr" USE="Representations/rep1" '
        'csip:CONTENTINFORMATIONTYPE="OTHER" '
        'csip:OTHERCONTENTINFORMATIONTYPE="bench">'
        + _file(
            "rm",
            "representations/rep1/METS.xml",
            len(rep_bytes),
            hashlib.sha256(rep_bytes).hexdigest(),
            "application/xml",
        )
        + '</mets:fileGrp></mets:fileSec><mets:structMap ID="sm" TYPE="PHYSICAL" LABEL="CSIP">'
        f'<mets:div ID="top" LABEL="{root.name}"><mets:div ID="dm" LABEL="Metadata" ADMID="prov"/>'
        '<mets:div ID="ddoc" LABEL="Documentation"><mets:fptr FILEID="gd"/></mets:div>'
        '<mets:div ID="dsch" LABEL="Schemas"><mets:fptr FILEID="gs"/></mets:div>'
        '<mets:div ID="drep" LABEL="Representations/rep1"><mets:mptr LOCTYPE="URL" xlink:type="simple" '
        'xlink:href="representations/rep1/METS.xml" xlink:title="gr"/></mets:div></mets:div></mets:structMap>'
        "</mets:mets>\n"
    )
    (root / "METS.xml").write_text(mets, encoding="utf-8")
    return root


def timed(cmd: Sequence[str]) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in KiB) of one whole-process run, output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def measure(commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, int, int]]:
    """One warm-up each, then ``repeat`` interleaved runs: median seconds, last exit code, max RSS."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    rss = dict.fromkeys(commands, 0)
    codes: dict[str, int] = {}
    for name, cmd in commands.items():
        _, codes[name], _ = timed(cmd)
    for _ in range(repeat):
        for name, cmd in commands.items():
            seconds, codes[name], peak = timed(cmd)
            times[name].append(seconds)
            rss[name] = max(rss[name], peak)
    return {k: (statistics.median(v), codes[k], rss[k]) for k, v in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--schemas", action="store_true", help="also validate METS/PREMIS against their schemas"
    )
    parser.add_argument("--tmp", default=None, help="parent folder of the temporary package")
    args = parser.parse_args(argv)
    schemas = "schemas" if args.schemas else "no-schemas"
    with tempfile.TemporaryDirectory(prefix="bench-csip-", dir=args.tmp) as tmp:
        root = make_package(Path(tmp) / "pkg-bench", args.files)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(
            f"CSIP folder package: {args.files} data files, {size / 1e6:.1f} MB; workers {args.workers}; "
            f"schemas {'on' if args.schemas else 'off'}; median of {args.repeat} warm runs",
            flush=True,
        )
        commands = {
            "validate --fast": [
                sys.executable,
                "-c",
                OUR_RUNNER,
                str(root),
                str(args.workers),
                "fast",
                schemas,
            ],
            "validate (full)": [
                sys.executable,
                "-c",
                OUR_RUNNER,
                str(root),
                str(args.workers),
                "full",
                schemas,
            ],
            "bare walk+stat": [sys.executable, "-c", BARE_WALK, str(root)],
            "bare sha256 loop (1 proc)": [sys.executable, "-c", BARE_HASH, str(root)],
        }
        res = measure(commands, args.repeat)
        for name, (seconds, code, peak) in res.items():
            print(f"  {name:<28} {seconds:8.3f} s  rc={code}  peak RSS {peak / 1024:7.1f} MiB", flush=True)
        fast_ratio = res["validate --fast"][0] / res["bare walk+stat"][0]
        full_ratio = res["validate (full)"][0] / res["bare sha256 loop (1 proc)"][0]
        print(f"  ratio --fast / bare walk        {fast_ratio:6.2f}x")
        print(f"  ratio full / bare sha256 loop   {full_ratio:6.2f}x")
        bad = [k for k, (_, code, _) in res.items() if k.startswith("validate") and code != 0]
        if bad:
            print(f"  UNEXPECTED: {', '.join(bad)} reported the benchmark package invalid", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
