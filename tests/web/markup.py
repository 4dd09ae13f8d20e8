"""Reading HTML responses in tests: strictly, so malformed markup fails the test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import html5lib

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element


def parse_html(markup: str) -> Element:
    """The document tree; raises html5lib's ParseError on any parse error at all."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(markup)


def text_of(document: Element, tag: str) -> str:
    element = document.find(f".//{tag}")
    assert element is not None, f"no <{tag}> in the page"
    return " ".join("".join(element.itertext()).split())


def text_of_class(document: Element, class_name: str) -> str:
    """The text of the first element with this class among its classes."""
    for element in document.iter():
        if class_name in element.get("class", "").split():
            return " ".join("".join(element.itertext()).split())
    raise AssertionError(f"nothing with class {class_name} in the page")
