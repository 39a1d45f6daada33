"""Builders of hostile documents for the security tests (this module holds no tests).

Each builder makes the smallest input that still reaches the code under attack: a valid
workbook whose one part is hostile, a zip whose sizes lie, a deflate stream that inflates to
gigabytes from a few megabytes, MIME nested thousands deep, a PDF whose content is enormous.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Mapping

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XLSX_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
MIB = 1 << 20

# A sheet that reads as an order: PO number, a header row and one line; cells 1 to 3 of row 1
# and 2 refer to shared strings 0 to 4 when ``shared`` is on, else they are inline strings.
ORDER_CELLS = (
    ("A1", "PO Number"),
    ("B1", "4500077001"),
    ("A2", "Item"),
    ("B2", "Qty"),
    ("C2", "Unit Price"),
)
ORDER_TEXTS = tuple(t for _, t in ORDER_CELLS)


def sheet_xml(*, rows: bytes = b"", dimension: str | None = None, shared: bool = False) -> bytes:
    """Worksheet XML holding ``ORDER_CELLS``, a line (NW-30555 x 10 at 4.50), then ``rows``."""
    cells: dict[int, list[str]] = {}
    for index, (ref, text) in enumerate(ORDER_CELLS):
        value = (
            f'<c r="{ref}" t="s"><v>{index}</v></c>'
            if shared
            else f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
        )
        cells.setdefault(int(ref[1:]), []).append(value)
    body = "".join(f'<row r="{row}">{"".join(values)}</row>' for row, values in sorted(cells.items()))
    body += '<row r="3"><c r="A3" t="inlineStr"><is><t>NW-30555</t></is></c><c r="B3"><v>10</v></c><c r="C3"><v>4.5</v></c></row>'
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<worksheet xmlns="{SHEET_NS}">{dim}<sheetData>{body}'.encode() + rows + b"</sheetData></worksheet>"
    )


def shared_strings_xml(texts: tuple[str, ...] = ORDER_TEXTS) -> bytes:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return f'<sst xmlns="{SHEET_NS}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'.encode()


def workbook_xml() -> bytes:
    return (
        f'<workbook xmlns="{SHEET_NS}" xmlns:r="{_REL_NS}"><sheets>'
        '<sheet name="Order" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ).encode()


def xlsx_parts(
    *, sheet: bytes | None = None, shared_strings: bytes | None = None, workbook: bytes | None = None
) -> dict[str, bytes]:
    """The parts of a minimal workbook (one sheet; shared strings when given), any of them replaced."""
    shared = shared_strings is not None
    overrides = [
        ("/xl/workbook.xml", f"{_XLSX_TYPES}.sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", f"{_XLSX_TYPES}.worksheet+xml"),
    ]
    relations = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if shared:
        overrides.append(("/xl/sharedStrings.xml", f"{_XLSX_TYPES}.sharedStrings+xml"))
        relations.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    types = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
    rels = "".join(
        f'<Relationship Id="{i}" Type="{_REL_NS}/{kind}" Target="{target}"/>' for i, kind, target in relations
    )
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{_CT_NS}"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{types}</Types>'
        ).encode(),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": workbook or workbook_xml(),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG_REL_NS}">{rels}</Relationships>'.encode(),
        "xl/worksheets/sheet1.xml": sheet or sheet_xml(shared=shared),
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    return parts


def zipped(parts: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def xlsx(**parts: bytes) -> bytes:
    """A minimal workbook; see ``xlsx_parts``."""
    return zipped(xlsx_parts(**parts))


# -- deflate bombs ---------------------------------------------------------------------------------


def deflate_repeated(
    head: bytes, block: bytes, count: int, tail: bytes = b"", *, checksum: bool = True
) -> tuple[bytes, int, int]:
    """Raw deflate of ``head + block * count + tail`` in milliseconds: each fully flushed block
    compresses to the same bytes, so one is repeated. Returns (deflated, inflated size, CRC-32);
    the CRC (a second per GiB) is 0 when ``checksum`` is off."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    compressor.compress(block)
    compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(tail) + compressor.flush()
    crc = 0
    if checksum:
        crc = zlib.crc32(head)
        for _ in range(count):
            crc = zlib.crc32(block, crc)
        crc = zlib.crc32(tail, crc)
    return start + repeated * count + end, len(head) + len(block) * count + len(tail), crc


def zlib_repeated(head: bytes, block: bytes, count: int, tail: bytes = b"") -> bytes:
    """A zlib stream (as PDF's FlateDecode wants) of ``head + block * count + tail``, checksum right."""
    deflated, _, _ = deflate_repeated(head, block, count, tail)
    adler = zlib.adler32(head)
    for _ in range(count):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + deflated + struct.pack(">I", zlib.adler32(tail, adler))


def zip_with_raw_entry(
    parts: Mapping[str, bytes], name: str, deflated: bytes, *, size: int, crc: int
) -> bytes:
    """A zip of ``parts`` plus entry ``name`` whose deflate data is ``deflated`` and whose headers
    claim ``size`` and ``crc``: the truth, or a lie (a small size, so a size check passes)."""
    entries = [(n, zlib.compressobj(9, zlib.DEFLATED, -15), c) for n, c in parts.items()]
    raw: list[tuple[str, bytes, int, int]] = []
    for entry_name, compressor, content in entries:
        raw.append(
            (entry_name, compressor.compress(content) + compressor.flush(), len(content), zlib.crc32(content))
        )
    raw.append((name, deflated, size, crc))
    out = io.BytesIO()
    central = io.BytesIO()
    for entry_name, data, length, checksum in raw:
        encoded = entry_name.encode()
        offset = out.tell()
        fixed = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, checksum, len(data), length)
        out.write(b"PK\x03\x04" + fixed + struct.pack("<HH", len(encoded), 0) + encoded + data)
        central.write(
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fixed
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset)
            + encoded
        )
    directory = central.getvalue()
    start = out.tell()
    out.write(directory)
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(raw), len(raw), len(directory), start, 0))
    return out.getvalue()


# -- PDFs --------------------------------------------------------------------------------------------

PDF_TEXT = b"BT /F1 12 Tf 72 700 Td (PO Number: 4500077002) Tj ET\n"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_file(objects: Mapping[int, bytes]) -> bytes:
    """A PDF of numbered objects (1 is the catalog) with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 %s \n" % (offsets.get(number, 0), b"n" if number in offsets else b"f"))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def pdf_stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def pdf_pages(
    contents: list[bytes], *, flate: bool = False, xobjects: Mapping[int, bytes] | None = None
) -> bytes:
    """A PDF with one page per content stream (FlateDecode'd already when ``flate``), Helvetica as
    /F1, and ``xobjects`` (object number -> object) named /X<number> in every page's resources."""
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: _FONT}
    names = b" ".join(b"/X%d %d 0 R" % (n, n) for n in (xobjects or {}))
    resources = b"<< /Font << /F1 3 0 R >> /XObject << %s >> >>" % names
    kids = []
    for index, content in enumerate(contents):
        page, stream = 10 + 2 * index, 11 + 2 * index
        kids.append(b"%d 0 R" % page)
        objects[page] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources %s >>"
            % (stream, resources)
        )
        objects[stream] = pdf_stream(content, b"/Filter /FlateDecode" if flate else b"")
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    objects.update(xobjects or {})
    return pdf_file(objects)


def form_xobject(content: bytes, *, draws: int | None = None) -> bytes:
    """A form XObject; ``draws`` names another form (object number) it may draw as /Y."""
    resources = b"/Font << /F1 3 0 R >>" + (b" /XObject << /Y %d 0 R >>" % draws if draws else b"")
    return pdf_stream(
        content, b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << %s >>" % resources
    )


def pdf_form_fanout(levels: int, fan: int) -> bytes:
    """A billion-laughs PDF of a few KB: each form draws the next ``fan`` times, ``levels`` deep,
    and the last draws one glyph, so the page shows ``fan ** (levels - 1)`` glyphs."""
    first = 1000
    forms = {}
    for level in range(levels):
        number = first + level
        if level == levels - 1:
            forms[number] = form_xobject(b"BT /F1 1 Tf 1 1 Td (A) Tj ET")
        else:
            forms[number] = form_xobject(b" ".join([b"/Y Do"] * fan), draws=number + 1)
    return pdf_pages([PDF_TEXT + b"/X%d Do" % first], xobjects=forms)


# -- MIME ------------------------------------------------------------------------------------------

MAIL_HEADERS = (
    b"From: Acme Purchasing <orders@acme-retail.example>\r\nTo: orders@northwind.example\r\n"
    b"Subject: PO 4500077003\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <hostile@acme-retail.example>\r\nMIME-Version: 1.0\r\n"
)


def nested_mime(depth: int, *, inner: bytes = b"Content-Type: text/plain\r\n\r\n10 x NW-30555\r\n") -> bytes:
    """An email whose body is ``depth`` multiparts, each holding only the next, around ``inner``."""
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
        for level in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--\r\n" % level for level in reversed(range(depth)))
    return MAIL_HEADERS + opening + inner + closing


def email_with_attachment(
    filename: str, content: bytes, content_type: str = "application/octet-stream"
) -> bytes:
    """An email from acme with one base64 attachment named ``filename``, any character of it
    percent-encoded as RFC 2231 allows (so CR, LF and NUL reach the reader as the name)."""
    import base64
    from urllib.parse import quote

    encoded = quote(filename, safe="")
    return (
        MAIL_HEADERS
        + b'Content-Type: multipart/mixed; boundary="part"\r\n\r\n'
        + b"--part\r\nContent-Type: text/plain\r\n\r\nOur order is attached.\r\n"
        + f"--part\r\nContent-Type: {content_type}\r\n".encode()
        + f"Content-Disposition: attachment; filename*=utf-8''{encoded}\r\n".encode()
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(content).replace(b"\n", b"\r\n")
        + b"--part--\r\n"
    )


# An acme 850 whose one line's PID05 (the line's description) is ``size`` characters long.
X12_HEAD = (
    b"ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261120*0930*U*00401*000007001*0*P*>~\n"
    b"GS*PO*ACMERETAIL*NORTHWIND*20261120*0930*7001*X*004010~\nST*850*0001~\n"
    b"BEG*00*SA*4500070001**20261118~\nPO1*1*24*EA*4.50*PE*VN*NW-10042~\nPID*F****"
)
X12_TAIL = b"~\nCTT*1~\nSE*6*0001~\nGE*1*7001~\nIEA*1*000007001~\n"

X12_LONG_SEGMENT_INDEX = 6


def write_x12_long_element(path: str, size: int, *, terminated: bool, fill: bytes = b"A") -> None:
    """Write the 850 with a ``size``-character PID05 to ``path`` in 1 MiB blocks, never whole in memory.

    ``terminated=False`` ends the file inside the element: no segment terminator, no trailers.
    """
    with open(path, "wb") as out:
        out.write(X12_HEAD)
        block = fill * MIB
        for _ in range(size // MIB):
            out.write(block)
        out.write(fill * (size % MIB))
        if terminated:
            out.write(X12_TAIL)


def x12_long_element(size: int, *, terminated: bool, fill: bytes = b"A") -> bytes:
    """The same document as bytes, for sizes a test can hold."""
    return X12_HEAD + fill * size + (X12_TAIL if terminated else b"")
