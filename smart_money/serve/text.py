"""How the server quotes a caller's text in an error, and which characters it refuses in text it logs."""

import unicodedata

QUOTE_CHARS = 80  # an error quotes at most this much of an input: a 50 MB value is never echoed


def quote(value, limit: int = QUOTE_CHARS) -> str:
    """``value`` as a repr cut to ``limit`` characters, with its length when it was cut."""
    value = str(value)
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}… ({len(value)} characters)"


def control_characters(value: str) -> list[str]:
    """The control and line-separator characters in ``value`` as ``U+XXXX`` (they forge or break log
    lines)."""
    return sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")})
