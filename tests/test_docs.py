"""The reference documentation builds cleanly and keeps up with the code.

Every setting the apps read has an entry (with its default as the code has it)
in ``docs/settings.rst``, and every system check id is in ``docs/checks.rst``:
a setting or a check added without its documentation fails here.
"""

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest

from erp_sync.exchange.settings import DEFAULTS as EXCHANGE_DEFAULTS
from erp_sync.soap.settings import DEFAULTS as SOAP_DEFAULTS
from oscar_loyalty.settings import DEFAULTS as LOYALTY_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LABEL = re.compile(r"^\.\. _setting-((?:OSCAR_LOYALTY|ERP_SYNC)_[A-Z0-9_]+):$", re.MULTILINE)
CHECK_ID = re.compile(r"\b(?:oscar_loyalty|erp_sync)\.[EW]\d{3}\b")


def read(path):
    return path.read_text(encoding="utf-8")


def code_settings():
    """{name: default} of every setting the apps read, by its full Django name."""
    names = {f"OSCAR_LOYALTY_{key}": value for key, value in LOYALTY_DEFAULTS.items()}
    names.update({f"ERP_SYNC_{key}": value for key, value in {**EXCHANGE_DEFAULTS, **SOAP_DEFAULTS}.items()})
    return names


def not_settings():
    """``erp_sync.checks.NOT_SETTINGS``, read from the source: importing the module would register its checks."""
    source = read(ROOT / "erp_sync" / "checks.py")
    return set(ast.literal_eval(re.search(r"^NOT_SETTINGS = (\(.*?\))$", source, re.MULTILINE | re.DOTALL).group(1)))


def named_in_source(package, prefix):
    """Setting-like names the package's source mentions (messages, hints, docstrings included)."""
    pattern = re.compile(rf"\b{prefix}[A-Z0-9_]+\b")
    return {name for path in (ROOT / package).rglob("*.py") for name in pattern.findall(read(path))}


def documented_entries():
    """{name: the text of its entry} in settings.rst, an entry running from its label to the next."""
    text = read(DOCS / "settings.rst")
    matches = list(LABEL.finditer(text))
    ends = [match.start() for match in matches[1:]] + [len(text)]
    return {match.group(1): text[match.end() : end] for match, end in zip(matches, ends, strict=True)}


def documented_default(entry):
    """The default an entry states: the first literal after "Default:", or its literal block."""
    block = re.search(r"Default::\n\n((?:[ ]{6}.*\n|\n)+)", entry)
    if block:
        source = "\n".join(line[6:] for line in block.group(1).splitlines())
    else:
        inline = re.search(r"Default: ``(.+?)``", entry)
        if inline is None:
            return "<no default stated>"
        source = inline.group(1)
    return eval(source, {"__builtins__": {}, "Decimal": Decimal})  # the docs' own literals: no builtins, Decimal only


def test_the_docs_build_without_warnings(tmp_path):
    build = pytest.importorskip(
        "sphinx.cmd.build", reason="Sphinx is not installed (pip install -e '.[docs]', or the test extra)"
    )
    status = build.build_main(["-W", "--keep-going", "-b", "html", "-q", str(DOCS), str(tmp_path)])
    assert status == 0, "sphinx-build reported warnings or errors (see the output above)"
    assert (tmp_path / "settings.html").exists()


def test_every_setting_has_an_entry_in_the_settings_reference():
    wanted = set(code_settings())
    wanted |= named_in_source("erp_sync", "ERP_SYNC_") - not_settings()
    wanted |= named_in_source("oscar_loyalty", "OSCAR_LOYALTY_")
    documented = set(documented_entries())
    missing = sorted(wanted - documented)
    assert not missing, f"docs/settings.rst lacks an entry (.. _setting-NAME:) for: {', '.join(missing)}"


def test_the_settings_reference_names_only_settings_the_code_reads():
    stale = sorted(set(documented_entries()) - set(code_settings()))
    assert not stale, f"docs/settings.rst documents settings no app reads: {', '.join(stale)}"


def test_the_settings_reference_states_the_defaults_the_code_has():
    defaults = code_settings()
    wrong = []
    for name, entry in documented_entries().items():
        if name not in defaults:
            continue  # the test above reports it
        stated = documented_default(entry)
        if stated != defaults[name]:
            wrong.append(f"{name}: documented {stated!r}, the code has {defaults[name]!r}")
    assert not wrong, "docs/settings.rst states wrong defaults:\n" + "\n".join(wrong)


def test_every_system_check_is_in_the_checks_reference():
    registered = set()
    for module in ("oscar_loyalty/checks.py", "erp_sync/checks.py"):
        registered |= set(CHECK_ID.findall(read(ROOT / module)))
    assert len(registered) >= 12, f"the check ids were not found where expected: {sorted(registered)}"
    documented = set(CHECK_ID.findall(read(DOCS / "checks.rst")))
    missing = sorted(registered - documented)
    assert not missing, f"docs/checks.rst lacks the system checks: {', '.join(missing)}"
    unknown = sorted(documented - registered)
    assert not unknown, f"docs/checks.rst lists check ids no app registers: {', '.join(unknown)}"
