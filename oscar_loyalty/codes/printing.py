"""The one-time export of a batch's codes: CSV for a print shop, or a printable PDF sheet of vouchers.

The PDF is written by hand (PDF 1.4, the standard Helvetica and Courier
fonts, no embedded font), so printing needs no PDF library. Those fonts only
have Latin-1 glyphs: Cyrillic names are transliterated on the sheet (they are
in the CSV as written), other scripts print as question marks; a batch
number, the points, the validity and the code always print.
"""

import io
from datetime import date

from django.utils import timezone

from oscar_loyalty import csv_export

# A4 in points; a 3 × 8 grid of vouchers per page.
PAGE_WIDTH, PAGE_HEIGHT = 595, 842
MARGIN = 36
COLUMNS, ROWS = 3, 8


def _day(moment):
    return timezone.localtime(moment).date() if hasattr(moment, "tzinfo") else moment


def csv_rows(batch, codes):
    """The header and one row per code: everything a print shop needs to print the vouchers."""
    header = ["code", "points", "valid_from", "valid_until", "program", "batch", "label", "batch_id"]
    until, since = _day(batch.valid_until), _day(batch.valid_from)
    rows = [
        [
            code,
            batch.points,
            since.isoformat(),
            until.isoformat(),
            batch.program.name,
            batch.name,
            batch.label,
            batch.pk,
        ]
        for code in codes
    ]
    return [header, *rows]


def write_csv(stream, batch, codes):
    """The codes as CSV for Excel (BOM, guarded text cells) into a text ``stream``."""
    csv_export.writer(stream).writerows(csv_rows(batch, codes))


# Russian letters in Latin (the passport transliteration, ICAO), for the PDF's Latin-1 fonts.
CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y  e iu ia".split(" "),
        strict=True,
    )
)


def transliterate(text):
    """``Шины Nordic`` as ``Shiny Nordic``: Cyrillic letters in Latin, the rest as it is."""
    out = []
    for char in str(text or ""):
        latin = CYRILLIC.get(char.lower())
        if latin is None:
            out.append(char)
        else:
            out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


def _latin(text):
    text = transliterate(text).encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _text(x, y, font, size, text):
    return f"BT /{font} {size} Tf {x} {y} Td ({_latin(text)}) Tj ET"


def voucher(x, y, width, height, batch, code):
    """The drawing operators of one voucher whose bottom-left corner is (x, y)."""
    until: date = _day(batch.valid_until)
    title = batch.label or batch.program.name
    return [
        "0.6 G 0.5 w [3 3] 0 d",
        f"{x} {y} {width} {height} re S",
        "[] 0 d 0 g",
        _text(x + 8, y + height - 18, "F1", 9, title[:40]),
        _text(x + 8, y + height - 44, "F2", 13, code),
        _text(x + 8, y + 26, "F1", 9, f"+{batch.points}"),
        _text(x + 8, y + 12, "F1", 7, f"#{batch.pk} / {until.isoformat()}"),
    ]


def pages(batch, codes):
    """The content streams of the sheet, one per page."""
    per_page = COLUMNS * ROWS
    width = (PAGE_WIDTH - 2 * MARGIN) // COLUMNS
    height = (PAGE_HEIGHT - 2 * MARGIN) // ROWS
    streams = []
    for start in range(0, len(codes), per_page):
        operators = [_text(MARGIN, PAGE_HEIGHT - MARGIN + 12, "F1", 8, f"{batch.program.name} - {batch.name}")]
        for i, code in enumerate(codes[start : start + per_page]):
            column, row = i % COLUMNS, i // COLUMNS
            x = MARGIN + column * width
            y = PAGE_HEIGHT - MARGIN - (row + 1) * height
            operators += voucher(x, y, width, height, batch, code)
        streams.append("\n".join(operators).encode("latin-1"))
    return streams


def pdf(batch, codes):
    """The vouchers of ``codes`` as a PDF document (bytes)."""
    contents = pages(batch, codes) or [b""]
    objects = []  # object n is objects[n - 1]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    first_page = 5
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(contents)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>")
    for i, content in enumerate(contents):
        page = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {first_page + 2 * i + 1} 0 R >>"
        )
        objects.append(page.encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
