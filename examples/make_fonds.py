"""Generate a small but realistic provincial fonds: scanned files, a mục lục spreadsheet and a profile.

The example for issue 4 ("Build TT05 / E-ARK packages"): the README's main-job command packages what
this script writes. It imitates what a provincial archive really hands over (reference
``vietnam-archives.md`` §d–f and ``notes/spreadsheet.md``): folders of scanned documents of the
fonds *Ủy ban nhân dân huyện Quỳnh Lưu* (P623) and a mục lục hồ sơ in XLSX (and CSV) with old 2011
headers, split dates, free text where Thông tư 05/2025/TT-BNV wants codes, Windows paths, NFC and
NFD names, and a few deliberately bad rows (listed in ``examples/README.md``).

Usage::

    python examples/make_fonds.py OUT_DIR [--overwrite]

Deterministic: a fixed seed and fixed dates, so two runs write byte-identical files (the PDF /ID is
derived from the content, the XLSX ZIP members carry a fixed date, file times are set to a fixed
instant). Uses only the library's core dependencies (pikepdf, openpyxl) and the standard library.
Nothing here is a real record; the agency codes are illustrative.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import os
import random
import re
import shutil
import struct
import sys
import tempfile
import unicodedata
import wave
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pikepdf
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

SEED = "luutru_aip/examples/make_fonds v1"
#: Every generated file and folder gets this modification time (scan day, 08:30 in Hà Nội).
FIXED_TIME = dt.datetime(2024, 6, 12, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
PRODUCER = "luutru_aip examples/make_fonds.py"
SOURCE_DIR = "Phong"
XLSX_NAME = "muc-luc-ho-so.xlsx"
CSV_NAME = "muc-luc-ho-so.csv"
SHEET_NAME = "Sheet1"
HEADER_ROW = 3
#: What the script writes into OUT_DIR (and replaces with --overwrite; nothing else is touched).
OUTPUTS = (SOURCE_DIR, XLSX_NAME, CSV_NAME, "profile.toml", "columns.toml")

A4_PT = (Decimal("595.28"), Decimal("841.89"))
A4_MM = (210.0, 297.0)

AGENCY_CODE = "H40.21.05"
ARCHIVE_CODE = "H40.36.11"
FONDS_CODE = "P623"
CREATOR = "Ủy ban nhân dân huyện Quỳnh Lưu"
ARCHIVE_NAME = "Trung tâm Lưu trữ lịch sử tỉnh Nghệ An"


# --------------------------------------------------------------------------------------------------
# The design of the fonds
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """One document (tài liệu): one file on disk and (usually) one spreadsheet row."""

    name: str  # file name, written NFC here; ``disk_nfd``/``sheet_nfd`` say how it is stored
    kind: str  # pdf | png | tiff | wav
    type_text: str  # "Tên loại văn bản" as typed by the archivist
    number: object  # "Số văn bản": str, int or None
    notation: str  # "Ký hiệu văn bản"
    day: object
    month: object
    year: object
    organ: str
    subject: str  # "" means the cell is left blank (a bad row)
    pages: int  # real page count of the file (0 for audio)
    sheet_pages: object = None  # "Số trang" in the sheet; None → same as pages (blank for audio)
    stt: object = None  # "STT" as typed; None → the ordinal as an int
    colour: bool = False  # RGB scan (with a red seal) instead of 8-bit grey
    dpi: int = 100
    pdfa: bool = True  # XMP pdfaid claim (part 2, conformance B)
    on_disk: bool = True
    listed: bool = True
    disk_nfd: bool = False
    sheet_nfd: bool = False
    autograph: str = ""
    note: str = ""
    signer: tuple[str, str] = ("CHỦ TỊCH", "Nguyễn Văn Hùng")
    body: tuple[str, ...] = ()


@dataclass(frozen=True)
class HoSo:
    """One file (hồ sơ) in a box (hộp)."""

    folder: str  # "hop01/hoso01"
    box: object
    code: object  # "Số và ký hiệu hồ sơ": full code or the number only
    number: int
    title: str
    maintenance: str
    mode: str
    language: str
    start: object  # str or dt.date (an Excel date cell)
    end: object
    total_doc: object
    physical_state: str
    path_style: str  # "backslash_root" | "backslash" | "slash"
    description: str
    risk_recovery: object
    docs: tuple[Doc, ...]

    @property
    def full_code(self) -> str:
        return f"{AGENCY_CODE}.2001.{self.number:02d}"

    @property
    def listed_pages(self) -> int:
        return sum(int(str(_sheet_pages(d) or 0)) for d in self.docs if d.listed)


_KHEN = (
    "Căn cứ Luật Tổ chức Hội đồng nhân dân và Ủy ban nhân dân ngày 21 tháng 6 năm 1994;",
    "Xét đề nghị của Thường trực Hội đồng Thi đua - Khen thưởng huyện tại Tờ trình số 15/TTr-TĐKT.",
    "Trong năm 2001, phong trào thi đua yêu nước trên địa bàn huyện được triển khai sâu rộng, "
    "thu hút đông đảo cán bộ, công chức và nhân dân tham gia.",
    "Tặng Giấy khen cho 45 tập thể và 120 cá nhân đã có thành tích xuất sắc trong phong trào thi đua.",
    "Mỗi tập thể được thưởng kèm theo mức tiền thưởng theo quy định hiện hành; kinh phí lấy từ "
    "quỹ thi đua, khen thưởng của huyện.",
    "Chánh Văn phòng HĐND và UBND huyện, Trưởng phòng Tổ chức - Lao động, Trưởng phòng Tài chính - "
    "Kế hoạch và các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.",
)
_DE = (
    "Tuyến đê biển xã Quỳnh Thuận dài 2,5 km được đắp từ năm 1975, nhiều đoạn đã xuống cấp nghiêm "
    "trọng, mái đê bị sạt lở sau các đợt triều cường.",
    "Để bảo đảm an toàn cho hơn 1.200 hộ dân và 300 ha lúa, hoa màu trong mùa mưa bão năm 2001, "
    "việc nâng cấp tuyến đê là hết sức cấp thiết.",
    "Tổng mức đầu tư dự kiến 4.850 triệu đồng, trong đó ngân sách tỉnh hỗ trợ 3.000 triệu đồng, "
    "ngân sách huyện và nhân dân đóng góp phần còn lại.",
    "Đề nghị Ủy ban nhân dân tỉnh xem xét, hỗ trợ kinh phí để kịp thời thi công trước mùa mưa bão.",
    "Công trình được thi công đúng thiết kế, bảo đảm chất lượng và tiến độ; hội đồng nghiệm thu "
    "thống nhất đưa công trình vào sử dụng.",
)
_LUT = (
    "Tình hình thời tiết diễn biến phức tạp, mưa lớn kéo dài gây ngập úng nhiều diện tích lúa "
    "và hoa màu ở các xã ven biển.",
    "Các xã, thị trấn kiện toàn Ban Chỉ huy phòng, chống lụt bão, chuẩn bị đầy đủ vật tư, phương "
    "tiện theo phương châm bốn tại chỗ.",
    "Cơn bão số 4 đã làm 3 người bị thương, 215 ngôi nhà bị tốc mái, 1.450 ha lúa bị ngập.",
    "Ủy ban nhân dân huyện đã chỉ đạo khẩn trương khắc phục hậu quả, ổn định đời sống nhân dân.",
)
_CCHC = (
    "Thực hiện Nghị quyết số 38/CP ngày 04 tháng 5 năm 1994 của Chính phủ về cải cách một bước "
    "thủ tục hành chính trong việc giải quyết công việc của công dân và tổ chức.",
    "Việc tiếp nhận hồ sơ và trả kết quả được thực hiện tại một đầu mối, công khai thủ tục, phí, "
    "lệ phí và thời gian giải quyết.",
    "Sáu tháng đầu năm, bộ phận một cửa đã tiếp nhận 1.326 hồ sơ, giải quyết đúng hẹn 1.287 hồ sơ.",
    "Các phòng, ban chuyên môn rà soát, đề xuất bãi bỏ những thủ tục không cần thiết, gây phiền hà.",
)
_COMMON = (
    "Ủy ban nhân dân huyện yêu cầu các phòng, ban, ngành và Ủy ban nhân dân các xã, thị trấn "
    "nghiêm túc triển khai thực hiện.",
    "Trong quá trình thực hiện, nếu có vướng mắc, các đơn vị báo cáo về Ủy ban nhân dân huyện "
    "(qua Văn phòng) để xem xét, giải quyết.",
    "Các cơ quan, đơn vị báo cáo kết quả thực hiện trước ngày 25 hằng tháng.",
    "Văn bản này có hiệu lực kể từ ngày ký.",
)

_PHONG_VIEN = "Người lập hồ sơ: Nguyễn Thị Hoa, Văn phòng HĐND và UBND huyện"
_UBND_HUYEN = "UBND huyện Quỳnh Lưu"

FONDS: tuple[HoSo, ...] = (
    HoSo(
        folder="hop01/hoso01",
        box=1,
        code="H40.21.05.2001.01",
        number=1,
        title="Hồ sơ về công tác thi đua, khen thưởng năm 2001 của UBND huyện Quỳnh Lưu",
        maintenance="Vĩnh viễn",
        mode="Công khai",
        language="Tiếng Việt",
        start="10/01/2001",
        end="28/12/2001",
        total_doc=5,
        physical_state="Tốt",
        path_style="backslash_root",
        description=_PHONG_VIEN,
        risk_recovery="Không",
        docs=(
            Doc(
                name="001.pdf",
                kind="pdf",
                type_text="Kế hoạch",
                number="12",
                notation="KH-UBND",
                day=10,
                month=1,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Kế hoạch tổ chức phong trào thi đua yêu nước năm 2001",
                pages=3,
                stt="001",
                body=_KHEN,
            ),
            Doc(
                name="002.pdf",
                kind="pdf",
                type_text="Cong van",
                number=45,
                notation="UBND-VP",
                day=15,
                month=3,
                year=2001,
                organ=_UBND_HUYEN,
                subject="V/v hướng dẫn xét khen thưởng thành tích năm 2001",
                pages=2,
                stt="002",
                signer=("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", "Hồ Sỹ Lâm"),
                body=_KHEN,
            ),
            Doc(
                name="Quyết định khen thưởng.pdf",
                kind="pdf",
                type_text="Quyết định",
                number="1250",
                notation="QĐ-UBND",
                day=20,
                month=11,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Quyết định về việc khen thưởng các tập thể, cá nhân có thành tích xuất sắc "
                "trong phong trào thi đua năm 2001",
                pages=4,
                stt="003",
                colour=True,
                disk_nfd=True,
                autograph="Bút phê của đồng chí Chủ tịch UBND huyện ở trang 1",
                body=_KHEN,
            ),
            Doc(
                name="004.png",
                kind="png",
                type_text="Biên bản",
                number="03",
                notation="BB-HĐTĐKT",
                day=5,
                month=11,
                year=2001,
                organ="Hội đồng Thi đua - Khen thưởng huyện Quỳnh Lưu",
                subject="Biên bản họp Hội đồng Thi đua - Khen thưởng huyện xét khen thưởng năm 2001",
                pages=1,
                stt="004",
                signer=("CHỦ TỊCH HỘI ĐỒNG", "Nguyễn Văn Hùng"),
                body=_KHEN,
            ),
            Doc(
                name="005.pdf",
                kind="pdf",
                type_text="Báo cáo",
                number="210",
                notation="BC-UBND",
                day=28,
                month=12,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Báo cáo tổng kết công tác thi đua, khen thưởng năm 2001",
                pages=3,
                stt="005",
                body=_KHEN,
            ),
        ),
    ),
    HoSo(
        folder="hop01/hoso02",
        box=1,
        code="02",
        number=2,
        title="Hồ sơ về việc nâng cấp tuyến đê biển xã Quỳnh Thuận năm 2001",
        maintenance="vinh vien",
        mode="công khai",
        language="tieng viet",
        start=dt.date(2001, 4, 5),
        end=dt.date(2001, 11, 30),
        total_doc="05",
        physical_state="Bình thường",
        path_style="backslash",
        description="",
        risk_recovery=0,
        docs=(
            Doc(
                name="Tờ trình xin kinh phí.pdf",
                kind="pdf",
                type_text="Tờ trình",
                number="35",
                notation="TTr-UBND",
                day="05",
                month="04",
                year=2001,
                organ=_UBND_HUYEN,
                subject="Tờ trình xin kinh phí nâng cấp tuyến đê biển xã Quỳnh Thuận",
                pages=2,
                sheet_nfd=True,
                body=_DE,
            ),
            Doc(
                name="002.pdf",
                kind="pdf",
                type_text="QĐ",
                number="1875",
                notation="QĐ-UBND",
                day=12,
                month=6,
                year=2001,
                organ="UBND tỉnh Nghệ An",
                subject="Quyết định phê duyệt báo cáo kinh tế - kỹ thuật công trình nâng cấp đê biển "
                "xã Quỳnh Thuận, huyện Quỳnh Lưu",
                pages=3,
                colour=True,
                signer=("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH", "Trần Văn Hải"),
                note="Bản sao y bản chính",
                body=_DE,
            ),
            Doc(
                name="003.tif",
                kind="tiff",
                type_text="Bản đồ",
                number=None,
                notation="",
                day=20,
                month=6,
                year=2001,
                organ="Phòng Nông nghiệp và Phát triển nông thôn huyện Quỳnh Lưu",
                subject="Bản đồ hiện trạng tuyến đê biển xã Quỳnh Thuận, tỷ lệ 1:5.000",
                pages=1,
            ),
            Doc(
                name="004.wav",
                kind="wav",
                type_text="Khác",
                number=None,
                notation="",
                day=20,
                month=7,
                year=2001,
                organ="UBND xã Quỳnh Thuận",
                subject="Ghi âm hội nghị lấy ý kiến nhân dân về phương án giải phóng mặt bằng tuyến đê",
                pages=0,
                note="Tệp âm thanh, không có số trang",
            ),
            Doc(
                name="005.pdf",
                kind="pdf",
                type_text="Biên bản",
                number="08",
                notation="BB-UBND",
                day=30,
                month=11,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Biên bản nghiệm thu hoàn thành công trình nâng cấp đê biển xã Quỳnh Thuận",
                pages=2,
                body=_DE,
            ),
        ),
    ),
    HoSo(
        folder="hop02/hoso03",
        box="02",
        code="H40.21.05.2001.03",
        number=3,
        title="Hồ sơ về công tác phòng, chống lụt bão năm 2001",
        maintenance="Lâu dài",  # BAD: no TT05 code (reference §d5)
        mode="Hạn chế",  # BAD: ambiguous legacy value
        language="Việt",
        start="15-5-2001",
        end="25/10/2001",
        total_doc=3.0,
        physical_state="Tốt",
        path_style="slash",
        description="",
        risk_recovery="Không",
        docs=(
            Doc(
                name="001.pdf",
                kind="pdf",
                type_text="Chỉ thị",
                number="03",
                notation="CT-UBND",
                day=15,
                month=5,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Chỉ thị về công tác phòng, chống lụt bão và tìm kiếm cứu nạn năm 2001",
                pages=2,
                stt=1,
                body=_LUT,
            ),
            Doc(
                name="002.pdf",
                kind="pdf",
                type_text="Công văn",
                number=88,
                notation="UBND-NN",
                day=10,
                month=9,
                year=2001,
                organ=_UBND_HUYEN,
                subject="V/v khắc phục hậu quả cơn bão số 4",
                pages=2,
                stt=2,
                body=_LUT,
            ),
            Doc(
                name="003.pdf",
                kind="pdf",
                type_text="Báo cáo",
                number="156",
                notation="BC-UBND",
                day=25,
                month=10,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Báo cáo thiệt hại do bão lụt năm 2001 gây ra và kết quả khắc phục",
                pages=3,
                stt=3,
                dpi=150,
                body=_LUT,
            ),
        ),
    ),
    HoSo(
        folder="hop02/hoso04",
        box="02",
        code="04",
        number=4,
        title="Hồ sơ về công tác cải cách hành chính năm 2001",
        maintenance="VĨNH VIỄN",
        mode="Công khai",
        language="Tiếng Việt",
        start=dt.date(2001, 2, 20),
        end="15/08/2001",
        total_doc=5,
        physical_state="Bình thường",
        path_style="backslash_root",
        description=_PHONG_VIEN,
        risk_recovery="Không",
        docs=(
            Doc(
                name="001.pdf",
                kind="pdf",
                type_text="Kế hoạch",
                number="20",
                notation="KH-UBND",
                day=20,
                month=2,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Kế hoạch cải cách hành chính năm 2001",
                pages=2,
                pdfa=False,  # a plain scanner PDF: no PDF/A claim (PDF005, info)
                body=_CCHC,
            ),
            Doc(
                name="002.pdf",
                kind="pdf",
                type_text="Thông báo",
                number="15",
                notation="TB-UBND",
                day=10,
                month=4,
                year=2001,
                organ=_UBND_HUYEN,
                subject="",  # BAD: required field missing
                pages=1,
                body=_CCHC,
            ),
            Doc(
                name="003.pdf",
                kind="pdf",
                type_text="Báo cáo",
                number="95",
                notation="BC-UBND",
                day=30,
                month=6,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Báo cáo sơ kết 6 tháng đầu năm công tác cải cách hành chính",
                pages=2,
                sheet_pages=3,  # BAD: the PDF has 2 pages
                body=_CCHC,
            ),
            Doc(
                name="004.pdf",
                kind="pdf",
                type_text="Quyết định",
                number="890",
                notation="QĐ-UBND",
                day=15,
                month=8,
                year=2001,
                organ=_UBND_HUYEN,
                subject="Quyết định thành lập Bộ phận tiếp nhận và trả kết quả theo cơ chế một cửa",
                pages=2,
                on_disk=False,  # BAD: listed but absent
                body=_CCHC,
            ),
            Doc(
                name="005.pdf",
                kind="pdf",
                type_text="Công văn",
                number="120",
                notation="UBND-NV",
                day=31,
                month=2,
                year=2001,  # BAD: 31/02/2001 does not exist
                organ=_UBND_HUYEN,
                subject="V/v cử cán bộ tham gia lớp bồi dưỡng nghiệp vụ cải cách hành chính",
                pages=1,
                body=_CCHC,
            ),
            Doc(
                name="006.pdf",
                kind="pdf",
                type_text="Công văn",
                number="121",
                notation="UBND-NV",
                day=2,
                month=3,
                year=2001,
                organ=_UBND_HUYEN,
                subject="V/v báo cáo danh sách cán bộ tham gia lớp bồi dưỡng",
                pages=2,
                listed=False,  # BAD: on disk, not in the spreadsheet
                body=_CCHC,
            ),
        ),
    ),
)


def _sheet_pages(doc: Doc) -> object:
    if doc.sheet_pages is not None:
        return doc.sheet_pages
    return doc.pages if doc.kind != "wav" else None


def disk_name(doc: Doc) -> str:
    """The file name exactly as it is written on disk (NFC or NFD)."""
    return unicodedata.normalize("NFD" if doc.disk_nfd else "NFC", doc.name)


def design() -> list[tuple[HoSo, Doc]]:
    """Every (hồ sơ, document) pair, in order (for tests and the README)."""
    return [(h, d) for h in FONDS for d in h.docs]


# --------------------------------------------------------------------------------------------------
# Rasters: "scanned" pages made of paper noise and dark text-like bars (bytes slicing, no per-pixel loops)
# --------------------------------------------------------------------------------------------------

_ASCENDERS = frozenset("bdfhklt")
_DESCENDERS = frozenset("gjpqy")


def ascii_fold(text: str) -> str:
    """Vietnamese → ASCII the way a diacritics-less OCR engine writes it ("Quyết định" → "Quyet dinh")."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return stripped.encode("ascii", "replace").decode("ascii")


class Canvas:
    """An 8-bit grey (1 channel) or RGB (3 channels) raster held as a list of rows."""

    def __init__(self, width: int, height: int, channels: int, rng: random.Random, paper: Sequence[int]):
        self.width, self.height, self.channels, self.rng = width, height, channels, rng
        self.noise_px = 2 * width + 1021
        self.paper = _noise(rng, self.noise_px, [(p, _PAPER_DELTAS) for p in paper])
        self.inks: dict[str, bytes] = {}
        shadow = bytearray()
        for x in range(14):  # the scanner lid's shadow along the left edge
            for p in paper:
                shadow.append(max(0, p - (14 - x) * 9))
        rows = []
        n = width - 14
        for _ in range(height):
            off = rng.randrange(self.noise_px - n) * channels
            rows.append(bytearray(shadow) + self.paper[off : off + n * channels])
        self.rows = rows

    def ink(self, name: str) -> bytes:
        if name not in self.inks:
            base = _INKS[name] if self.channels == 3 else (_GREY_INKS[name],)
            self.inks[name] = _noise(self.rng, self.noise_px, [(b, _INK_DELTAS) for b in base])
        return self.inks[name]

    def fill(self, x0: int, y0: int, x1: int, y1: int, ink: str = "black") -> None:
        x0, x1 = max(0, x0), min(self.width, x1)
        if x1 <= x0:
            return
        c, n, buf = self.channels, x1 - x0, self.ink(ink)
        for y in range(max(0, y0), min(self.height, y1)):
            off = self.rng.randrange(self.noise_px - n) * c
            self.rows[y][x0 * c : x1 * c] = buf[off : off + n * c]

    def ring(self, cx: int, cy: int, radius: int, thickness: int, ink: str) -> None:
        inner = radius - thickness
        for dy in range(-radius, radius + 1):
            xo = _isqrt_floor(radius * radius - dy * dy)
            if abs(dy) < inner:
                xi = _isqrt_floor(inner * inner - dy * dy)
                self.fill(cx - xo, cy + dy, cx - xi, cy + dy + 1, ink)
                self.fill(cx + xi, cy + dy, cx + xo, cy + dy + 1, ink)
            else:
                self.fill(cx - xo, cy + dy, cx + xo, cy + dy + 1, ink)

    def raw(self) -> bytes:
        return b"".join(self.rows)


def _isqrt_floor(v: int) -> int:
    return math.isqrt(v) if v > 0 else 0


# byte value (uniform) → offset from the base tone
_PAPER_DELTAS = tuple(
    0 if b < 140 else -2 if b < 190 else 2 if b < 232 else -6 if b < 249 else -22 if b < 254 else -75
    for b in range(256)
)
_INK_DELTAS = tuple((b % 37) - 18 for b in range(256))
_INKS = {"black": (48, 46, 52), "blue": (40, 52, 150), "red": (196, 38, 44)}
_GREY_INKS = {"black": 48, "blue": 70, "red": 110}


def _noise(rng: random.Random, pixels: int, channels: list[tuple[int, tuple[int, ...]]]) -> bytes:
    """``pixels`` pixels of noise around the base tone of each channel (all channels share the noise)."""
    raw = rng.randbytes(pixels)
    planes = [raw.translate(bytes(min(255, max(0, base + d)) for d in deltas)) for base, deltas in channels]
    if len(planes) == 1:
        return planes[0]
    out = bytearray(pixels * len(planes))
    for i, plane in enumerate(planes):
        out[i :: len(planes)] = plane
    return bytes(out)


@dataclass
class OcrLine:
    x: int
    baseline: int
    text: str
    size_px: int


class PageWriter:
    """Lays out text as bars on a canvas and remembers the OCR text of each line."""

    def __init__(self, canvas: Canvas, dpi: int):
        self.canvas, self.s = canvas, dpi / 100
        self.ocr: list[OcrLine] = []

    def px(self, v: float) -> int:
        return round(v * self.s)

    def width(self, text: str, *, heavy: bool = False) -> int:
        return len(ascii_fold(text)) * self.px(8 if heavy else 7)

    def line(self, x: int, baseline: int, text: str, *, heavy: bool = False, ink: str = "black") -> int:
        folded = ascii_fold(text)
        cw, xh, asc = self.px(8 if heavy else 7), self.px(9 if heavy else 8), self.px(4)
        stroke = max(2, self.px(2))
        pos = x
        for word in folded.split(" "):
            if word:
                w = max(cw - 1, len(word) * cw - self.px(2))
                top = baseline - xh - (asc if word.isupper() else 0)
                self.canvas.fill(pos, top, pos + w, baseline, ink)
                if not word.isupper():
                    for i, ch in enumerate(word):
                        cx = pos + i * cw + cw // 3
                        if ch in _ASCENDERS or ch.isupper() or ch.isdigit():
                            self.canvas.fill(cx, baseline - xh - asc, cx + stroke, baseline - xh, ink)
                        elif ch in _DESCENDERS:
                            self.canvas.fill(cx, baseline, cx + stroke, baseline + asc, ink)
            pos += (len(word) + 1) * cw
        self.ocr.append(OcrLine(x, baseline, folded, xh + asc))
        return pos - x

    def centred(self, cx: int, baseline: int, text: str, *, heavy: bool = False, ink: str = "black") -> None:
        self.line(cx - self.width(text, heavy=heavy) // 2, baseline, text, heavy=heavy, ink=ink)

    def paragraph(self, x0: int, x1: int, y: int, text: str, *, pitch: int, indent: int) -> int:
        cw, start = self.px(7), x0 + indent
        line: list[str] = []
        words = text.split()
        for word in words:
            if line and start + (len(" ".join([*line, word]))) * cw > x1:
                self.line(start, y, " ".join(line))
                y += pitch
                line, start = [], x0
            line.append(word)
        if line:
            self.line(start, y, " ".join(line))
            y += pitch
        return y


_TYPE_TITLES = {
    "Kế hoạch": "KẾ HOẠCH",
    "Cong van": "",
    "Công văn": "",
    "Quyết định": "QUYẾT ĐỊNH",
    "QĐ": "QUYẾT ĐỊNH",
    "Biên bản": "BIÊN BẢN",
    "Báo cáo": "BÁO CÁO",
    "Tờ trình": "TỜ TRÌNH",
    "Chỉ thị": "CHỈ THỊ",
    "Thông báo": "THÔNG BÁO",
}


def render_page(doc: Doc, page: int, *, channels: int, rng: random.Random) -> tuple[Canvas, PageWriter]:
    """One A4 portrait page of ``doc`` (page numbers from 1)."""
    dpi = doc.dpi
    w, h = round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)
    tone = 236 + rng.randrange(8)
    paper = (tone, tone - 5, tone - 21) if channels == 3 else (tone,)
    canvas = Canvas(w, h, channels, rng, paper)
    pw = PageWriter(canvas, dpi)
    px = pw.px
    left, right, pitch = px(110), px(740), px(24)
    last = page == max(doc.pages, 1)
    organ = doc.organ.replace("UBND", "ỦY BAN NHÂN DÂN").upper()
    if page == 1:
        if doc.organ.startswith("UBND"):
            head = organ.split(" ", 4)
            first, second = " ".join(head[:4]), head[4]
        else:  # a body of the district: its superior on the first line
            first, second = "UBND HUYỆN QUỲNH LƯU", doc.organ.upper().split(" HUYỆN")[0]
        pw.centred(px(230), px(80), first)
        pw.centred(px(230), px(102), second, heavy=True)
        canvas.fill(px(200), px(110), px(260), px(112))
        pw.centred(px(590), px(80), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", heavy=True)
        pw.centred(px(590), px(102), "Độc lập - Tự do - Hạnh phúc", heavy=True)
        canvas.fill(px(490), px(110), px(690), px(112))
        if doc.number is not None:
            pw.centred(px(230), px(145), f"Số: {doc.number}/{doc.notation}")
        place = "Quỳnh Lưu" if "tỉnh" not in doc.organ else "Nghệ An"
        pw.centred(px(590), px(145), f"{place}, ngày {doc.day} tháng {doc.month} năm {doc.year}")
        y = px(205)
        title = _TYPE_TITLES.get(doc.type_text, "")
        if title:
            pw.centred(px(413), y, title, heavy=True)
            y += px(26)
        subject = doc.subject or "Về việc triển khai nhiệm vụ"
        y = _centred_block(pw, px(413), y, subject, px(560), pitch=px(22))
        canvas.fill(px(360), y - px(10), px(466), y - px(8))
        y += px(20)
    else:
        pw.centred(px(413), px(60), str(page))
        y = px(110)
    bottom = px(860) if last else px(1090)
    body = doc.body or _COMMON
    i = (page * 3) % len(body)
    while y < bottom - pitch:
        text = body[i % len(body)] if i % 4 != 3 else _COMMON[(i // 4) % len(_COMMON)]
        y = pw.paragraph(left, right, y, text, pitch=pitch, indent=px(40)) + px(6)
        i += 1
    if last:
        _signature(pw, doc, y=max(y + px(20), px(900)), colour=channels == 3)
    return canvas, pw


def _centred_block(pw: PageWriter, cx: int, y: int, text: str, width: int, *, pitch: int) -> int:
    cw, words = pw.px(8), text.split()
    line: list[str] = []
    for word in words:
        if line and len(" ".join([*line, word])) * cw > width:
            pw.centred(cx, y, " ".join(line), heavy=True)
            y += pitch
            line = []
        line.append(word)
    if line:
        pw.centred(cx, y, " ".join(line), heavy=True)
        y += pitch
    return y


def _signature(pw: PageWriter, doc: Doc, *, y: int, colour: bool) -> None:
    px, canvas = pw.px, pw.canvas
    cx = px(590)
    role, name = doc.signer
    lines = role.split(" / ")
    if doc.organ.startswith("UBND"):
        lines.insert(0, "TM. ỦY BAN NHÂN DÂN")
    for k, part in enumerate(lines):
        pw.centred(cx, y + px(22) * k, part, heavy=True)
    pw.line(px(110), y, "Nơi nhận:", heavy=True)
    for k, who in enumerate(("- Như trên;", "- Thường trực Huyện ủy;", "- Lưu: VT.")):
        pw.line(px(110), y + px(20) * (k + 1), who)
    # a handwritten signature (blue): a few slanted strokes
    sy = y + px(70)
    for k in range(px(26)):
        canvas.fill(
            cx - px(60) + 3 * k, sy + k // 2, cx - px(30) + 3 * k, sy + k // 2 + max(2, px(2)), "blue"
        )
    canvas.fill(cx - px(70), sy + px(18), cx + px(70), sy + px(21), "blue")
    if colour:  # the red seal over the left part of the signature
        canvas.ring(cx - px(45), sy + px(10), px(76), px(6), "red")
        canvas.ring(cx - px(45), sy + px(10), px(56), px(2), "red")
        canvas.fill(cx - px(62), sy + px(2), cx - px(28), sy + px(18), "red")
    pw.centred(cx, y + px(150), name, heavy=True)


def render_map(rng: random.Random, dpi: int = 100) -> Canvas:
    """A landscape A4 grey map: grid, coastline, the dyke, labels and a legend."""
    w, h = round(A4_MM[1] / 25.4 * dpi), round(A4_MM[0] / 25.4 * dpi)
    canvas = Canvas(w, h, 1, rng, (232,))
    pw = PageWriter(canvas, dpi)
    for x in range(60, w - 40, 100):
        canvas.fill(x, 60, x + 1, h - 40, "blue")
    for y in range(60, h - 40, 100):
        canvas.fill(40, y, w - 40, y + 1, "blue")
    for y in range(80, h - 60):
        wobble = isin((y * 65536) // 700) * 40 // 32767 + isin((y * 65536) // 173) * 9 // 32767
        coast = 760 + wobble
        canvas.fill(coast, y, coast + 5, y + 1)  # coastline
        canvas.fill(coast - 34, y, coast - 24, y + 1)  # the dyke
        if y % 6 == 0:
            canvas.fill(coast + 12, y, w - 50, y + 1, "red")  # sea hatching
    pw.centred(w // 2, 45, "BẢN ĐỒ HIỆN TRẠNG TUYẾN ĐÊ BIỂN XÃ QUỲNH THUẬN - TỶ LỆ 1:5.000", heavy=True)
    for k, label in enumerate(("Xóm 1", "Xóm 2", "Xóm 3", "Đồng Bàu", "Đồng Cửa")):
        pw.line(180 + (k % 3) * 170, 200 + k * 95, label)
    pw.line(900, 420, "BIỂN ĐÔNG", heavy=True)
    canvas.fill(60, h - 190, 360, h - 188)
    pw.line(70, h - 160, "CHÚ GIẢI", heavy=True)
    pw.line(70, h - 130, "Đê biển hiện trạng: 2,5 km")
    pw.line(70, h - 105, "Đoạn sạt lở cần nâng cấp")
    pw.line(70, h - 80, "Khu dân cư")
    return canvas


def isin(phase: int) -> int:
    """Integer sine (Bhaskara I) of ``phase``/65536 turns, in [-32767, 32767]; platform independent."""
    p = phase % 65536
    q = p % 32768
    num = 16 * q * (32768 - q)
    val = (num * 32767) // (5 * 32768 * 32768 - 4 * q * (32768 - q))
    return -val if p >= 32768 else val


# --------------------------------------------------------------------------------------------------
# File writers
# --------------------------------------------------------------------------------------------------


def _pdf_date(when: dt.datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+07'00'")


def _xmp(doc: Doc, *, pdfa: bool) -> bytes:
    when = FIXED_TIME.isoformat()

    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    pdfaid = (
        '  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">\n'
        "   <pdfaid:part>2</pdfaid:part>\n   <pdfaid:conformance>B</pdfaid:conformance>\n"
        "  </rdf:Description>\n"
        if pdfa
        else ""
    )
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f"{pdfaid}"
        '  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "   <dc:format>application/pdf</dc:format>\n"
        '   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{esc(doc.subject or doc.type_text)}</rdf:li></rdf:Alt></dc:title>\n"
        "  </rdf:Description>\n"
        '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/">\n'
        f"   <xmp:CreateDate>{when}</xmp:CreateDate>\n"
        f"   <xmp:ModifyDate>{when}</xmp:ModifyDate>\n"
        f"   <xmp:MetadataDate>{when}</xmp:MetadataDate>\n"
        f"   <xmp:CreatorTool>{PRODUCER}</xmp:CreatorTool>\n"
        f"   <pdf:Producer>{PRODUCER}</pdf:Producer>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return text.encode("utf-8")


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def write_pdf(path: Path, doc: Doc, rng: random.Random) -> None:
    """A multi-page scanned PDF: per page a Flate image XObject plus an invisible OCR text layer."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    channels = 3 if doc.colour else 1
    for page in range(1, doc.pages + 1):
        canvas, pw = render_page(doc, page, channels=channels, rng=rng)
        image = pikepdf.Stream(pdf, b"")
        image.write(zlib.compress(canvas.raw(), 6), filter=pikepdf.Name.FlateDecode)
        image.Type = pikepdf.Name.XObject
        image.Subtype = pikepdf.Name.Image
        image.Width = canvas.width
        image.Height = canvas.height
        image.ColorSpace = pikepdf.Name.DeviceRGB if channels == 3 else pikepdf.Name.DeviceGray
        image.BitsPerComponent = 8
        scale = 72 / doc.dpi
        ops = [f"q {A4_PT[0]} 0 0 {A4_PT[1]} 0 0 cm /Im0 Do Q", "BT 3 Tr"]
        for item in pw.ocr:
            size = max(6.0, item.size_px * scale * 1.2)
            y = (canvas.height - item.baseline) * scale
            ops.append(
                f"/F1 {size:.1f} Tf 1 0 0 1 {item.x * scale:.2f} {y:.2f} Tm {_pdf_string(item.text)} Tj"
            )
        ops.append("ET")
        content = pikepdf.Stream(pdf, b"")
        content.write(zlib.compress("\n".join(ops).encode("ascii"), 9), filter=pikepdf.Name.FlateDecode)
        page_obj = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, A4_PT[0], A4_PT[1]]),
            Resources=pikepdf.Dictionary(
                XObject=pikepdf.Dictionary(Im0=image), Font=pikepdf.Dictionary(F1=font)
            ),
            Contents=content,
        )
        pdf.pages.append(pikepdf.Page(page_obj))
    info = {"/Producer": PRODUCER, "/Creator": PRODUCER}
    info["/CreationDate"] = info["/ModDate"] = _pdf_date(FIXED_TIME)
    pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(info))
    if doc.pdfa:
        pdf.Root.Metadata = pdf.make_indirect(
            pikepdf.Stream(pdf, _xmp(doc, pdfa=True), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        )
    pdf.save(
        path,
        deterministic_id=True,
        min_version="1.7" if doc.pdfa else "1.4",
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(canvas: Canvas, dpi: int) -> bytes:
    """A PNG (ISO/IEC 15948): 8-bit grey or RGB, filter 0, with pHYs giving the scan resolution."""
    colour_type = 2 if canvas.channels == 3 else 0
    ihdr = struct.pack(">IIBBBBB", canvas.width, canvas.height, 8, colour_type, 0, 0, 0)
    ppm = round(dpi / 0.0254)
    scanlines = b"".join(b"\x00" + bytes(row) for row in canvas.rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
        + _chunk(b"IDAT", zlib.compress(scanlines, 9))
        + _chunk(b"IEND", b"")
    )


def tiff_bytes(canvas: Canvas, dpi: int, *, rows_per_strip: int = 16) -> bytes:
    """A baseline TIFF 6.0 (little endian), 8-bit grey, uncompressed, in strips."""
    assert canvas.channels == 1
    w, h = canvas.width, canvas.height
    strips = [b"".join(canvas.rows[y : y + rows_per_strip]) for y in range(0, h, rows_per_strip)]
    software = PRODUCER.encode("ascii") + b"\x00"
    entries: list[tuple[int, int, int, bytes]] = []  # tag, type, count, value bytes

    def add(tag: int, typ: int, values: Sequence[int] | bytes) -> None:
        if typ == 2:
            assert isinstance(values, bytes)
            entries.append((tag, typ, len(values), values))
            return
        fmt = {3: "<H", 4: "<I", 5: "<II"}[typ]
        assert not isinstance(values, bytes)
        if typ == 5:
            data = b"".join(struct.pack(fmt, values[i], values[i + 1]) for i in range(0, len(values), 2))
            entries.append((tag, typ, len(values) // 2, data))
        else:
            entries.append((tag, typ, len(values), b"".join(struct.pack(fmt, v) for v in values)))

    n_tags = 13
    ifd_size = 2 + n_tags * 12 + 4
    # first pass with dummy offsets to learn the size of the out-of-line values
    offsets = [0] * len(strips)
    for final in (False, True):
        entries.clear()
        add(256, 4, [w])
        add(257, 4, [h])
        add(258, 3, [8])
        add(259, 3, [1])
        add(262, 3, [1])
        add(273, 4, offsets)
        add(277, 3, [1])
        add(278, 4, [rows_per_strip])
        add(279, 4, [len(s) for s in strips])
        add(282, 5, [dpi, 1])
        add(283, 5, [dpi, 1])
        add(296, 3, [2])
        add(305, 2, software)
        assert len(entries) == n_tags
        extra = bytearray()
        pos = 8 + ifd_size
        ifd = bytearray(struct.pack("<H", n_tags))
        for tag, typ, count, value in entries:
            if len(value) <= 4:
                ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\x00")
            else:
                ifd += struct.pack("<HHII", tag, typ, count, pos + len(extra))
                extra += value
                if len(extra) % 2:
                    extra += b"\x00"
        ifd += struct.pack("<I", 0)
        data_start = 8 + ifd_size + len(extra)
        if not final:
            starts, acc = [], data_start
            for s in strips:
                starts.append(acc)
                acc += len(s)
            offsets = starts
    header = b"II*\x00" + struct.pack("<I", 8)
    return header + bytes(ifd) + bytes(extra) + b"".join(strips)


def wav_bytes(rng: random.Random, *, seconds: int = 3, rate: int = 16000) -> bytes:
    """A mono 16-bit PCM WAV: voice-like syllables (a few harmonics under an envelope) and room noise."""
    samples = bytearray()
    total = seconds * rate
    syllable = rate // 5
    f0 = 140
    for n in range(total):
        k, pos = divmod(n, syllable)
        if pos == 0:
            f0 = 110 + rng.randrange(70)
        voiced = k % 5 != 4  # a pause every fifth syllable
        env = min(pos, syllable - pos) * 2 * 32767 // syllable if voiced else 0
        phase = n * f0 * 65536 // rate
        tone = isin(phase) // 2 + isin(2 * phase) // 4 + isin(3 * phase) // 6
        value = tone * env // 32767 // 2 + rng.randrange(-300, 301)
        samples += struct.pack("<h", max(-32768, min(32767, value)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------
# The spreadsheet
# --------------------------------------------------------------------------------------------------

#: The header row: old 2011 labels mixed with 2024/TT05 ones; one has a line break, one a trailing space.
HEADERS: tuple[str, ...] = (
    "Hộp số",
    "Số và ký\nhiệu hồ sơ",
    "Tiêu đề hồ sơ",
    "Thời hạn bảo quản",
    "Chế độ sử dụng",
    "Ngôn ngữ",
    "Thời gian bắt đầu",
    "Thời gian kết thúc",
    "Tổng số văn bản trong hồ sơ",
    "Số lượng tờ",
    "Số lượng trang",
    "Tình trạng vật lý",
    "Mức độ tin cậy",
    "Mã hồ sơ gốc giấy",
    "Chế độ bảo hiểm",
    "Ghi chú hồ sơ",
    "STT",
    "Tên loại văn bản",
    "Số văn bản",
    "Ký hiệu văn bản",
    "Ngày",
    "Tháng",
    "Năm",
    "Cơ quan ban hành",
    "Trích yếu nội dung ",
    "Số trang",
    "Bút tích",
    "Ghi chú",
    "Đường dẫn tệp",
)

#: header → field name of notes/spreadsheet.md (what columns.toml writes; the split dates have no field name).
FIELDS: dict[str, str] = {
    "Hộp số": "box",
    "Số và ký\nhiệu hồ sơ": "file_code",
    "Tiêu đề hồ sơ": "title",
    "Thời hạn bảo quản": "maintenance",
    "Chế độ sử dụng": "mode",
    "Ngôn ngữ": "language",
    "Thời gian bắt đầu": "start_date",
    "Thời gian kết thúc": "end_date",
    "Tổng số văn bản trong hồ sơ": "total_doc",
    "Số lượng tờ": "number_of_paper",
    "Số lượng trang": "number_of_page",
    "Tình trạng vật lý": "physical_state",
    "Mức độ tin cậy": "confidence_level",
    "Mã hồ sơ gốc giấy": "paper_file_code",
    "Chế độ bảo hiểm": "risk_recovery",
    "Ghi chú hồ sơ": "file_description",
    "STT": "doc_ordinal",
    "Tên loại văn bản": "type_name",
    "Số văn bản": "code_number",
    "Ký hiệu văn bản": "code_notation",
    "Cơ quan ban hành": "organ_name",
    "Trích yếu nội dung ": "subject",
    "Số trang": "doc_pages",
    "Bút tích": "autograph",
    "Ghi chú": "doc_description",
    "Đường dẫn tệp": "file_path",
}

TITLE_ROWS = (
    "PHÔNG: ỦY BAN NHÂN DÂN HUYỆN QUỲNH LƯU (P623) - TRUNG TÂM LƯU TRỮ LỊCH SỬ TỈNH NGHỆ AN",
    "MỤC LỤC HỒ SƠ, TÀI LIỆU NĂM 2001",
)


def sheet_path(hoso: HoSo, doc: Doc) -> str:
    """The "Đường dẫn tệp" cell: Windows style, with or without the source folder's own name."""
    name = unicodedata.normalize("NFD" if doc.sheet_nfd else "NFC", doc.name)
    parts = [*hoso.folder.split("/"), name]
    if hoso.path_style == "backslash_root":
        return "\\" + "\\".join([SOURCE_DIR, *parts])
    if hoso.path_style == "backslash":
        return "\\".join(parts)
    return "/".join(parts)


def sheet_rows() -> list[list[object]]:
    """The data rows below the header (None = blank cell; [] = a fully blank separator row)."""
    rows: list[list[object]] = []
    previous_box: object = None
    for hoso in FONDS:
        if previous_box is not None and hoso.folder.split("/")[0] != previous_box:
            rows.append([])
        previous_box = hoso.folder.split("/")[0]
        paper = f"{ARCHIVE_CODE}.K1-G3-H{int(str(hoso.box)):02d}.{hoso.number:02d}"
        pages = hoso.listed_pages
        ordinal = 0
        for doc in hoso.docs:
            if not doc.listed:
                continue
            ordinal += 1
            rows.append(
                [
                    hoso.box,
                    hoso.code,
                    hoso.title,
                    hoso.maintenance,
                    hoso.mode,
                    hoso.language,
                    hoso.start,
                    hoso.end,
                    hoso.total_doc,
                    pages,
                    pages,
                    hoso.physical_state,
                    "Số hóa",
                    paper,
                    hoso.risk_recovery,
                    hoso.description or None,
                    doc.stt if doc.stt is not None else ordinal,
                    doc.type_text,
                    doc.number,
                    doc.notation or None,
                    doc.day,
                    doc.month,
                    doc.year,
                    doc.organ,
                    doc.subject or None,
                    _sheet_pages(doc),
                    doc.autograph or None,
                    doc.note or None,
                    sheet_path(hoso, doc),
                ]
            )
    total_pages = sum(h.listed_pages for h in FONDS)
    total_docs = sum(1 for _, d in design() if d.listed)
    totals: list[object] = [None] * len(HEADERS)
    totals[0] = "Tổng cộng"
    totals[2] = f"{len(FONDS):02d} hồ sơ, {total_docs} văn bản"
    totals[HEADERS.index("Số trang")] = total_pages
    rows.append(totals)
    return rows


def write_xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_NAME
    last_col = get_column_letter(len(HEADERS))
    for r, text in enumerate(TITLE_ROWS, start=1):
        ws.cell(row=r, column=1, value=text).font = Font(bold=True, size=13)
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center")
        ws.merge_cells(f"A{r}:{last_col}{r}")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, header in enumerate(HEADERS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=c, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = border
    ws.row_dimensions[HEADER_ROW].height = 45
    for r, row in enumerate(sheet_rows(), start=HEADER_ROW + 1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "dd/mm/yyyy"
            if isinstance(value, str) and len(value) > 40:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = {"C": 42, "N": 24, "P": 30, "X": 26, "Y": 48, "AC": 44}
    for c in range(1, len(HEADERS) + 1):
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = widths.get(letter, 12)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    wb.properties.creator = "Nguyễn Thị Hoa"
    wb.properties.lastModifiedBy = "Nguyễn Thị Hoa"
    fixed = FIXED_TIME.astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_fixed_zip(buf.getvalue(), fixed))


def _fixed_zip(data: bytes, fixed: dt.datetime) -> bytes:
    """Rewrite an XLSX so it is reproducible: fixed member dates and a fixed dcterms:modified.

    openpyxl stamps ``dcterms:modified`` with the wall clock on save and zipfile stamps every
    member with the current time; both are replaced here.
    """
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                member = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    member,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=fixed.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, member, compresslevel=6)
    return out.getvalue()


def _csv_text(value: object) -> str:
    """A cell as Excel's "CSV UTF-8" export shows it (dates dd/mm/yyyy, 3.0 → 3)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(path: Path) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    blank = [""] * len(HEADERS)
    for title in TITLE_ROWS:
        writer.writerow([title, *blank[1:]])
    writer.writerow(HEADERS)
    for row in sheet_rows():
        writer.writerow([_csv_text(v) for v in row] + blank[len(row) :])
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


# --------------------------------------------------------------------------------------------------
# Profile and column mapping
# --------------------------------------------------------------------------------------------------


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


PROFILE = {
    "archive_name": ARCHIVE_NAME,
    "agency_code": AGENCY_CODE,
    "fonds_code": FONDS_CODE,
    "fonds_name": CREATOR,
    "archive_code": ARCHIVE_CODE,
    "repository_name": f"{ARCHIVE_NAME}, Sở Nội vụ tỉnh Nghệ An",
    "default_language": "01",
    "creator_name": CREATOR,
}

_PROFILE_COMMENTS = {
    "archive_name": "tên cơ quan lưu trữ (--archive-name)",
    "agency_code": "mã định danh of the agency that formed the files, prefix of fileCode (--agency-code)",
    "fonds_code": "mã phông (--fonds-code); bag-info Bag-Group-Identifier",
    "fonds_name": "tên phông",
    "archive_code": "the archive's own code, prefix of arcFileCode (defaults to agency_code)",
    "repository_name": "optional",
    "default_language": "optional; 01 = Tiếng Việt (TT05 code list)",
    "creator_name": "optional; cơ quan hình thành phông",
}


def profile_toml() -> str:
    lines = [
        "# Archive profile of the example fonds (luutru_aip): what no spreadsheet carries.",
        "# The codes are illustrative, not the real identifiers of these agencies.",
        "",
    ]
    for key, value in PROFILE.items():
        lines.append(f"# {_PROFILE_COMMENTS[key]}")
        lines.append(f"{key} = {_toml_str(value)}")
    return "\n".join(lines) + "\n"


def columns_toml() -> str:
    lines = [
        "# Example column mapping (luutru_aip): exact header text → field name (the spreadsheet contract).",
        "# Headers are normally recognised automatically; a mapping overrides that recognition.",
        "# The split issued date (Ngày / Tháng / Năm) has no single field name and is recognised as it is.",
        f"sheet = {_toml_str(SHEET_NAME)}",
        f"header_row = {HEADER_ROW}",
        "",
        "[columns]",
    ]
    lines += [f"{_toml_str(header)} = {_toml_str(field)}" for header, field in FIELDS.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------


def _write_fonds(root: Path) -> None:
    source = root / SOURCE_DIR
    for hoso in FONDS:
        folder = source / Path(*hoso.folder.split("/"))
        folder.mkdir(parents=True)
        for doc in hoso.docs:
            rng = random.Random(f"{SEED}:{hoso.folder}/{doc.name}")
            if not doc.on_disk:
                continue
            target = folder / disk_name(doc)
            if doc.kind == "pdf":
                write_pdf(target, doc, rng)
            elif doc.kind == "png":
                canvas, _ = render_page(doc, 1, channels=1, rng=rng)
                target.write_bytes(png_bytes(canvas, doc.dpi))
            elif doc.kind == "tiff":
                target.write_bytes(tiff_bytes(render_map(rng), 100))
            elif doc.kind == "wav":
                target.write_bytes(wav_bytes(rng))
            else:  # pragma: no cover - design error
                raise ValueError(doc.kind)
    write_xlsx(root / XLSX_NAME)
    write_csv(root / CSV_NAME)
    (root / "profile.toml").write_text(profile_toml(), encoding="utf-8", newline="\n")
    (root / "columns.toml").write_text(columns_toml(), encoding="utf-8", newline="\n")


def _set_times(path: Path) -> None:
    stamp = FIXED_TIME.timestamp()
    if path.is_dir() and not path.is_symlink():
        for child in path.iterdir():
            _set_times(child)
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def generate(out_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """Write the example fonds into ``out_dir``; return the paths written.

    Only the names in :data:`OUTPUTS` are written; anything else in ``out_dir`` (for example
    ``packages/`` from an earlier build) is left alone. Existing outputs are replaced only with
    ``overwrite``. Everything is made in a temporary folder first, so an error leaves nothing behind.
    """
    out_dir = Path(out_dir)
    existing = [name for name in OUTPUTS if (out_dir / name).exists() or (out_dir / name).is_symlink()]
    if existing and not overwrite:
        raise FileExistsError(f"{out_dir / existing[0]} exists (use --overwrite to replace the example)")
    created_out = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".make_fonds-", dir=out_dir))
    try:
        _write_fonds(tmp)
        for name in OUTPUTS:
            target = out_dir / name
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
            (tmp / name).replace(target)
            _set_times(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created_out:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    tmp.rmdir()
    return [out_dir / name for name in OUTPUTS]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the luutru_aip example fonds (scanned files, mục lục XLSX/CSV, profile)."
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--overwrite", action="store_true", help="replace an example already in OUT_DIR")
    args = parser.parse_args(argv)
    try:
        written = generate(args.out_dir, overwrite=args.overwrite)
    except FileExistsError as exc:
        print(f"make_fonds: {exc}", file=sys.stderr)
        return 2
    files = [p for p in (args.out_dir / SOURCE_DIR).rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files) + sum(p.stat().st_size for p in written if p.is_file())
    print(f"wrote {len(files)} source files and the mục lục to {args.out_dir} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
