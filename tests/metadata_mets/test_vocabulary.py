"""New packages speak the 2024 vocabulary: no 2011 term appears in anything the writers produce."""

from __future__ import annotations

import pytest

from luutru_aip.metadata.premis import DEFAULT_EVENT_DETAILS, make_event, premis_document
from luutru_aip.model import PackageType
from luutru_aip.vocab import old_terms_in

from .builders import ARCHIVE, CREATED, SOFTWARE, Package, all_documents, build_package, data_files
from .checks import texts


@pytest.mark.parametrize("ptype", list(PackageType))
def test_no_old_term_in_any_document(ptype: PackageType) -> None:
    package: Package = build_package(8, ptype)
    for name, data in all_documents(package):
        assert old_terms_in(texts(data)) == (), name


def test_default_event_details_use_2024_terms() -> None:
    events = [
        make_event(
            kind, scope="urn:uuid:v", moment=CREATED, agents=[(SOFTWARE.identifier, "executing program")]
        )
        for kind in DEFAULT_EVENT_DETAILS
    ]
    data = premis_document(objects=data_files(1), events=events, agents=[SOFTWARE, ARCHIVE])
    text = texts(data)
    assert old_terms_in(text) == ()
    assert "lưu trữ dự phòng" in text  # the replication detail says it the new way


def test_an_old_term_in_an_event_detail_is_refused() -> None:
    event = make_event(
        "replication",
        scope="urn:uuid:v",
        moment=CREATED,
        detail="Lập bản sao bảo hiểm tài liệu lưu trữ quý, hiếm",
    )
    with pytest.raises(ValueError, match="2011 vocabulary"):
        premis_document(objects=data_files(1), events=[event])
    # A migration event may quote the old label it replaced.
    data = premis_document(objects=data_files(1), events=[event], allow_old_terms=True)
    assert old_terms_in(texts(data))
