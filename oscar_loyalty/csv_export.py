"""CSV for spreadsheets: the loyalty KPIs and the accounting system's reconciliation are written with it.

Two things a plain ``csv.writer`` gets wrong for staff who open the file in Excel:

- **Cyrillic.** Excel reads a CSV without a byte order mark in the system's
  ANSI code page; the file starts with a UTF-8 BOM so that names, tiers and
  headers in Russian show as written.
- **Formulas (CSV injection).** A cell starting with ``=``, ``+``, ``-`` or
  ``@`` (or a tab or carriage return) is a formula to a spreadsheet. Text that
  came from people (a customer's or staff member's name, an order number from
  the accounting system, a tier name) is prefixed with a single quote ``'``,
  as OWASP advises, so it shows as text and is never evaluated.

Only **text** cells (``str``, and lazy translations) are guarded. Numbers
(``int``, ``Decimal``, ``float``) are written as they are, so a negative
figure stays a number the spreadsheet can sum: a number cannot carry a
formula. Callers therefore pass figures as numbers, not as text they
formatted themselves (formatted text such as ``"-40"`` would be guarded and
read as text). ``None`` becomes an empty cell.
"""

import csv

from django.utils.functional import Promise

BOM = "\ufeff"

#: What makes a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """One cell as it is written: guarded text, a number as is, None as empty."""
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SpreadsheetWriter:
    """A ``csv.writer`` whose rows go through ``cell``."""

    def __init__(self, stream, **fmtparams):
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, row):
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(stream, *, bom=True, **fmtparams):
    """A writer for a text ``stream`` (an ``HttpResponse``, a file, ``StringIO``), starting with a UTF-8 BOM.

    The BOM goes out with the first row, not on its own: a management
    command's ``self.stdout`` ends every ``write`` with a newline.
    """
    return SpreadsheetWriter(_FirstWritePrefixed(stream, BOM) if bom else stream, **fmtparams)


class _FirstWritePrefixed:
    def __init__(self, stream, prefix):
        self._stream = stream
        self._prefix = prefix

    def write(self, text):
        text, self._prefix = self._prefix + text, ""
        return self._stream.write(text)
