"""Every relative link in the README and the docs leads somewhere: a file that exists, and a
heading that exists when the link names one (``docs/auth.md#errors``)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [ROOT / "README.md", ROOT / "bench" / "README.md", *(ROOT / "docs").glob("*.md")],
    key=lambda page: page.relative_to(ROOT).as_posix(),
)
# [text](target) and [text](target "title"); images too. Code is stripped first.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)


def prose(page: Path) -> str:
    """The page without its code blocks and inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(page))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)  # http:, mailto:, ...
    ]


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as
    hyphens, and ``-1``, ``-2`` ... after a repeated one."""
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def target_of(page: Path, link: str) -> tuple[Path, str]:
    path, _, anchor = link.partition("#")
    return ((page.parent / path).resolve() if path else page), anchor


def test_pages_are_found():
    names = {page.relative_to(ROOT).as_posix() for page in PAGES}
    assert {"README.md", "docs/README.md", "docs/architecture.md", "bench/README.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_relative_links_lead_to_files(page: Path):
    missing = [link for link in relative_links(page) if not target_of(page, link)[0].exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to files that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_links_to_headings_name_a_heading(page: Path):
    broken = []
    for link in relative_links(page):
        target, anchor = target_of(page, link)
        checkable = anchor and target.suffix == ".md" and target.exists()
        if checkable and anchor not in anchors(target):
            broken.append(link)
    assert not broken, f"{page.relative_to(ROOT)} links to headings that do not exist: {broken}"


def test_docs_index_lists_every_page():
    """docs/README.md names every page under docs/, so a new page is found."""
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    listed = {target_of(ROOT / "docs" / "README.md", link)[0] for link in LINK.findall(index)}
    unlisted = [
        page.name
        for page in (ROOT / "docs").glob("*.md")
        if page.name != "README.md" and page.resolve() not in listed
    ]
    assert not unlisted, f"docs/README.md does not list {unlisted}"
