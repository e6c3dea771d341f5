"""Structural checks of our METS output against the CSIP requirements that XSD validation cannot see."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from luutru_aip.metadata._xml import parse_xml
from luutru_aip.metadata.mets import CSIP_NS, METS_NS, XLINK_NS, path_from_href

NS = {"mets": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS}
TIME_ATTRS = ("CREATEDATE", "LASTMODDATE", "CREATED")
HEX64 = re.compile(r"[0-9a-f]{64}")


def vn_time(text: str) -> datetime:
    """Parse an ISO 8601 time and insist on the +07:00 offset (TT05, reference §e)."""
    assert text.endswith("+07:00"), text
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=7), text
    return moment


def check_csip(tree: Any, *, base: str, package_type: str, expect_paths: set[str]) -> None:
    """Assert the CSIP rules on one METS document we wrote (ids cited in the messages)."""
    root = tree.getroot()
    assert root.tag == f"{{{METS_NS}}}mets"
    for attr in ("OBJID", "TYPE", "PROFILE"):  # CSIP1, CSIP2, CSIP6
        assert root.get(attr), attr
    assert root.get(f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE")  # CSIP4 (mandatory for representation METS)
    header = root.find("mets:metsHdr", NS)
    assert header is not None  # CSIP117
    assert header.get(f"{{{CSIP_NS}}}OAISPACKAGETYPE") == package_type  # CSIP9, SIP4, AIPM3
    software = header.findall("mets:agent[@ROLE='CREATOR'][@TYPE='OTHER'][@OTHERTYPE='SOFTWARE']", NS)
    assert len(software) == 1  # CSIP10–CSIP13
    notes = software[0].findall(f"mets:note[@{{{CSIP_NS}}}NOTETYPE='SOFTWARE VERSION']", NS)
    assert len(notes) == 1
    assert notes[0].text
    for element in root.iter():
        for attr in TIME_ATTRS:
            if element.get(attr) is not None:
                vn_time(element.get(attr))
    ids = {e.get("ID") for e in root.iter() if e.get("ID") is not None}
    # Every reference points at something that exists.
    for fptr in root.iterfind(".//mets:fptr", NS):
        assert fptr.get("FILEID") in ids, fptr.get("FILEID")
    for attr in ("DMDID", "ADMID"):
        for element in root.iter():
            for ref in (element.get(attr) or "").split():
                assert ref in ids, ref
    # CSIP91/92: the Metadata division references every dmdSec and amdSec section.
    struct = root.find("mets:structMap[@LABEL='CSIP'][@TYPE='PHYSICAL']", NS)  # CSIP80–CSIP82
    assert struct is not None
    assert struct.get("ID")
    top = struct.findall("mets:div", NS)
    assert len(top) == 1
    assert top[0].get("LABEL") == root.get("OBJID")
    meta = top[0].findall("mets:div[@LABEL='Metadata']", NS)
    assert len(meta) == 1  # CSIP88–CSIP90
    dmd = set((meta[0].get("DMDID") or "").split())
    adm = set((meta[0].get("ADMID") or "").split())
    assert dmd == {e.get("ID") for e in root.iterfind("mets:dmdSec", NS)}
    assert adm == {e.get("ID") for e in root.iterfind("mets:amdSec/*", NS)}
    # CSIP22–CSIP30, CSIP36–CSIP44, CSIP67–CSIP79: every reference is complete and SHA-256.
    seen = set()
    for ref in root.iterfind(".//mets:mdRef", NS):
        for attr in ("MDTYPE", "MIMETYPE", "SIZE", "CREATED", "CHECKSUM"):
            assert ref.get(attr), attr
        assert ref.get("LOCTYPE") == "URL"
        assert ref.get(f"{{{XLINK_NS}}}type") == "simple"
        assert ref.get("CHECKSUMTYPE") == "SHA-256"
        assert HEX64.fullmatch(ref.get("CHECKSUM"))
        seen.add(path_from_href(ref.get(f"{{{XLINK_NS}}}href"), base))
    for group in root.iterfind("mets:fileSec/mets:fileGrp", NS):
        assert group.get("ID")
        assert group.get("USE")
        files = group.findall("mets:file", NS)
        assert files  # CSIP66
        if group.get("USE").startswith("Representations"):
            assert group.get(f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE")  # CSIP62
        for file in files:
            for attr in ("ID", "MIMETYPE", "SIZE", "CREATED", "CHECKSUM"):
                assert file.get(attr), attr
            assert file.get("CHECKSUMTYPE") == "SHA-256"
            assert HEX64.fullmatch(file.get("CHECKSUM"))
            locs = file.findall("mets:FLocat", NS)
            assert len(locs) == 1
            assert locs[0].get("LOCTYPE") == "URL"
            assert locs[0].get(f"{{{XLINK_NS}}}type") == "simple"
            href = locs[0].get(f"{{{XLINK_NS}}}href")
            assert href.isascii()
            assert " " not in href
            seen.add(path_from_href(href, base))
    groups = {g.get("ID"): g for g in root.iterfind("mets:fileSec/mets:fileGrp", NS)}
    for div in top[0].iterfind("mets:div", NS):
        for mptr in div.iterfind("mets:mptr", NS):  # CSIP107–CSIP112
            assert mptr.get("LOCTYPE") == "URL"
            assert mptr.get(f"{{{XLINK_NS}}}type") == "simple"
            title = mptr.get(f"{{{XLINK_NS}}}title")
            assert title in groups
            assert groups[title].get("USE") == div.get("LABEL")
            target = path_from_href(mptr.get(f"{{{XLINK_NS}}}href"), base)
            assert target.endswith("/METS.xml")
            assert target in seen
    assert seen == expect_paths


def parse(data: bytes) -> Any:
    return parse_xml(data)


def texts(data: bytes) -> str:
    """All character data and attribute values of a document, joined (for vocabulary checks)."""
    root = parse_xml(data).getroot()
    parts = [str(t) for t in root.itertext()]
    parts += [str(v) for e in root.iter() for v in e.attrib.values()]
    return "\n".join(parts)
