"""The README's install checklist against the bare shop: where they disagree, the bare-shop test fails.

Every Python block of the README's "Install into your shop" section is
preceded by ``<!-- bare shop: <file> -->``, naming the bare shop's file it
belongs to. The file must hold the block word for word, and nothing of the
program's wiring that the README does not say: a line outside the README's
blocks that touches the loyalty program, the extras or Celery must be marked
``# shop's own`` (what any shop has anyway). Standard library only: the
runner calls it before it builds anything, and the suite calls it too.
"""

import ast
import re
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent.parent / "README.md"
SECTION = "## Install into your shop"
TAG = re.compile(
    r"<!-- bare shop: (?P<target>\S+) -->\n(?P<indent>[ \t]*)```(?P<language>\w*)\n(?P<code>.*?)\n[ \t]*```", re.S
)
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<language>\w*)$", re.M)
WIRING = re.compile(r"loyalty|erp_sync|ERP_SYNC|wagtail|WAGTAIL|celery|CELERY|BEAT", re.I)
SHOPS_OWN = "# shop's own"


def install_section(readme_text):
    start = readme_text.index(SECTION)
    end = readme_text.find("\n## ", start + len(SECTION))
    return readme_text[start : end if end != -1 else None]


def readme_blocks(readme_text):
    """``[(target file, code)]`` of the tagged blocks, in the README's order."""
    blocks = []
    for match in TAG.finditer(install_section(readme_text)):
        indent = match["indent"]
        lines = [line.removeprefix(indent) for line in match["code"].split("\n")]
        blocks.append((match["target"], textwrap.dedent("\n".join(lines))))
    return blocks


def untagged_python_blocks(readme_text):
    section = install_section(readme_text)
    tagged = {match.start("indent") for match in TAG.finditer(section)}
    untagged = []
    opening = True
    for match in FENCE.finditer(section):
        if opening and match["language"] == "python" and match.start("indent") not in tagged:
            untagged.append(section[: match.start()].count("\n") + 1)
        opening = not opening
    return untagged


def _code_lines(text):
    """Numbers of the lines that are code: not blank, not comments, not the module's docstring."""
    tree = ast.parse(text)
    docstring = set()
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        docstring = set(range(tree.body[0].lineno, tree.body[0].end_lineno + 1))
    return {
        number
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip() and not line.lstrip().startswith("#") and number not in docstring
    }


def disagreements(root=HERE, readme=README):
    """What the README and the bare shop under ``root`` disagree on, as sentences; empty when they agree."""
    readme_text = Path(readme).read_text(encoding="utf-8")
    problems = [
        f"README.md, line {line} of the install section: a Python block without <!-- bare shop: <file> -->"
        for line in untagged_python_blocks(readme_text)
    ]
    covered = {}
    for target, code in readme_blocks(readme_text):
        path = Path(root) / target
        if not path.exists():
            problems.append(f"The README has a block for {target}, which the bare shop lacks.")
            continue
        text = path.read_text(encoding="utf-8")
        start = text.find(code)
        if start == -1:
            first = code.strip().split("\n")[0]
            problems.append(f"{target} does not hold the README's block beginning {first!r} word for word.")
            continue
        first_line = text[:start].count("\n") + 1
        covered.setdefault(target, set()).update(range(first_line, first_line + code.count("\n") + 1))
    for target, lines in covered.items():
        text = (Path(root) / target).read_text(encoding="utf-8")
        source = text.split("\n")
        for number in sorted(_code_lines(text) - lines):
            line = source[number - 1]
            if WIRING.search(line) and not line.rstrip().endswith(SHOPS_OWN):
                problems.append(f"{target}, line {number}: {line.strip()!r} is wiring the README does not say.")
    return problems


if __name__ == "__main__":
    found = disagreements()
    print("\n".join(found) or "The README's install checklist and the bare shop agree.")
    raise SystemExit(1 if found else 0)
