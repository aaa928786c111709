"""The export's files: CSV rows for a print shop, and the hand-written PDF's structure."""

import io
import re

import pytest

from oscar_loyalty.codes import printing
from tests.codes import make_batch, make_program

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Шины Нордик", "Shiny Nordik"),
        ("Зимняя партия: ЁЖИК", "Zimniaia partiia: EZhIK"),
        ("Hakka R5", "Hakka R5"),
        ("щука, объём", "shchuka, obieem"),
    ],
)
def test_cyrillic_is_transliterated_for_the_pdf_fonts(text, latin):
    assert printing.transliterate(text) == latin


def test_the_pdf_is_well_formed_with_a_correct_cross_reference_table():
    batch, codes = make_batch(make_program(name="Шины Нордик"), size=25, name="Партия (1)")

    body = printing.pdf(batch, codes)

    assert body.startswith(b"%PDF-1.4")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF", body).group(1))
    assert body[startxref:].startswith(b"xref")
    offsets = [int(offset) for offset in re.findall(rb"(\d{10}) 00000 n", body)]
    for number, offset in enumerate(offsets, start=1):
        assert body[offset:].startswith(b"%d 0 obj" % number)
    assert b"Shiny Nordik - Partiia \\(1\\)" in body  # parentheses escaped in PDF strings
    assert body.count(b"/Type /Page ") == 2


def test_the_csv_has_one_row_per_code_with_everything_to_print():
    batch, codes = make_batch(size=3, points=250, label="=Hakka")
    stream = io.StringIO()

    printing.write_csv(stream, batch, codes)

    lines = stream.getvalue().lstrip("\ufeff").splitlines()
    assert lines[0] == "code,points,valid_from,valid_until,program,batch,label,batch_id"
    assert len(lines) == 4
    assert lines[1].startswith(f"{codes[0]},250,") and ",'=Hakka," in lines[1]
