"""The documentation stays connected to the code: every `docs/contracts.md "<Section>"` the package points to
exists as a heading, every relative link in README.md and docs/ resolves (file and #anchor), every docs page
the package names exists, and nothing points users at DESIGN.md (they never see it)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tenantguard"
CONTRACTS = ROOT / "docs" / "contracts.md"

# `docs/contracts.md "Inference logs"`, `docs/contracts.md, 'Fine-tuning datasets'` (quotes may be escaped)
SECTION_REF = re.compile(r"""docs/contracts\.md,?\s*\\?(["'])(.+?)\\?\1""")
DOC_PATH = re.compile(r"\bdocs/[\w./-]*\.md\b")
LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def headings(markdown: str) -> list[str]:
    return [m.group(1) for line in FENCE.sub("", markdown).splitlines() if (m := HEADING.match(line))]


def anchors(markdown: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to '-', repeats numbered -1, -2, ..."""
    seen: dict[str, int] = {}
    out = set()
    for title in headings(markdown):
        slug = re.sub(r"[^\w\- ]", "", title.replace("`", "").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def section_refs(text: str) -> list[str]:
    return [m.group(2) for m in SECTION_REF.finditer(text)]


def links(markdown: str) -> list[str]:
    """Relative link targets outside code (fenced blocks and inline code are not links)."""
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", markdown))
    return [t for t in LINK.findall(prose) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def broken_link(source: Path, target: str) -> str | None:
    """Why `target` (as written in `source`) does not resolve, or None."""
    path, _, fragment = target.partition("#")
    dest = (source.parent / path).resolve() if path else source
    if not dest.exists():
        return f"{source}: link {target!r}: no such file {dest}"
    if fragment and dest.suffix == ".md" and fragment not in anchors(dest.read_text(encoding="utf-8")):
        return f"{source}: link {target!r}: {dest.name} has no heading with id #{fragment}"
    return None


def package_texts() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*")) if p.suffix in (".py", ".yaml", ".txt")}


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _section_cases() -> list:
    return [pytest.param(path, ref, id=f"{path.relative_to(ROOT)}:{ref}")
            for path, text in package_texts().items() for ref in sorted(set(section_refs(text)))]


def _link_cases() -> list:
    return [pytest.param(path, target, id=f"{path.relative_to(ROOT)}->{target}")
            for path in markdown_files() if path.exists() for target in links(path.read_text(encoding="utf-8"))]


def _doc_path_cases() -> list:
    return [pytest.param(path, ref, id=f"{path.relative_to(ROOT)}:{ref}")
            for path, text in package_texts().items() for ref in sorted(set(DOC_PATH.findall(text)))]


@pytest.mark.parametrize(("source", "section"), _section_cases())
def test_contracts_section_named_in_the_code_exists(source, section):
    assert section in headings(CONTRACTS.read_text(encoding="utf-8")), \
        f"{source.relative_to(ROOT)} points to docs/contracts.md {section!r}, which has no such heading"


@pytest.mark.parametrize(("source", "target"), _link_cases())
def test_relative_link_resolves(source, target):
    assert broken_link(source, target) is None, broken_link(source, target)


@pytest.mark.parametrize(("source", "doc"), _doc_path_cases())
def test_docs_page_named_in_the_code_exists(source, doc):
    assert (ROOT / doc).is_file(), f"{source.relative_to(ROOT)} names {doc}, which does not exist"


def test_the_code_and_readme_point_to_docs_not_design_md():
    texts = {**package_texts(), **{p: p.read_text(encoding="utf-8") for p in markdown_files() if p.exists()}}
    assert [str(p.relative_to(ROOT)) for p, text in texts.items() if "DESIGN.md" in text] == []


def test_the_sections_the_code_relies_on_are_found():
    # Guards the scan itself: a regex that matched nothing would make the section test vacuous.
    found = {ref for text in package_texts().values() for ref in section_refs(text)}
    assert {"Inference logs", "Segmentation adapters"} <= found
    assert len(_link_cases()) >= 10


def test_a_missing_section_and_a_broken_link_are_reported(tmp_path):
    code = 'raise X(f"see docs/contracts.md \'No such part\'")\nlog("docs/contracts.md, \\"Home layout\\"")\n'
    assert section_refs(code) == ["No such part", "Home layout"]
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n## Model I/O\n\n[ok](page.md#model-io) [gone](other.md) [bad](#nowhere) "
                    "[web](https://example.com) `[code](x.md)`\n```\n[fenced](y.md)\n```\n", encoding="utf-8")
    targets = links(page.read_text(encoding="utf-8"))
    assert targets == ["page.md#model-io", "other.md", "#nowhere"]
    assert [broken_link(page, t) is None for t in targets] == [True, False, False]


@pytest.mark.parametrize("page", sorted((ROOT / "docs" / "extending").glob("*.md")), ids=lambda p: p.name)
def test_a_worked_example_quoted_from_a_test_plugin_is_that_file(page):
    """A page that says "This is `tests/plugins/X.py`" quotes the file whole in its next code block."""
    text = page.read_text(encoding="utf-8")
    for m in re.finditer(r"This is `(tests/plugins/\w+\.py)`", text):
        start = text.index("```python\n", m.end()) + len("```python\n")
        block = text[start:text.index("```", start)]
        assert block == (ROOT / m.group(1)).read_text(encoding="utf-8"), f"{page.name} quotes {m.group(1)} out of date"
