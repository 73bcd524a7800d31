"""Namespace-blind element access for the SEC's XML documents (ownership, 13F, N-PORT): filers write the
same elements with and without the schema's namespace, so elements are matched by local name."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def local(tag: str) -> str:
    """The tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def child(element: ET.Element | None, *names: str) -> ET.Element | None:
    """The first child named ``names[0]``, then its first child named ``names[1]``, …; None if absent."""
    for name in names:
        if element is None:
            return None
        element = next((c for c in element if local(c.tag) == name), None)
    return element


def children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def descendant(element: ET.Element | None, name: str) -> ET.Element | None:
    """The first element named ``name`` anywhere below ``element``."""
    if element is None:
        return None
    return next((e for e in element.iter() if local(e.tag) == name), None)


def text(element: ET.Element | None) -> str | None:
    """The element's text stripped; None when absent or blank."""
    if element is None or element.text is None:
        return None
    return element.text.strip() or None
