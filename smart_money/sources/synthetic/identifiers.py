"""Security identifiers of the simulated market: each made-up stock gets a made-up but well-formed CUSIP, so
13F and N-PORT documents rendered from the simulated world can be mapped back to symbols like real ones."""

import re

_SYMBOL = re.compile(r"^SYN(\d{3,5})$")


def cusip_check_digit(base: str) -> str:
    """The ninth character of a CUSIP from its first eight (the modulus-10 "double add double" rule)."""
    if len(base) != 8:
        raise ValueError(f"a CUSIP check digit needs 8 characters, got {base!r}")
    total = 0
    for position, char in enumerate(base.upper()):
        if char.isdigit():
            value = int(char)
        elif char.isalpha():
            value = ord(char) - ord("A") + 10
        elif char in "*@#":
            value = 36 + "*@#".index(char)
        else:
            raise ValueError(f"{char!r} cannot be part of a CUSIP ({base!r})")
        if position % 2 == 1:
            value *= 2
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def is_valid_cusip(cusip: str) -> bool:
    text = str(cusip or "").strip().upper()
    try:
        return len(text) == 9 and cusip_check_digit(text[:8]) == text[8]
    except ValueError:
        return False


def synthetic_cusip(symbol: str) -> str:
    """``SYN001`` → ``S00001107``: issuer ``S`` + the symbol's number, issue ``10`` (common stock), check
    digit. Only simulated symbols have one."""
    match = _SYMBOL.match(str(symbol).strip().upper())
    if not match:
        raise ValueError(f"{symbol!r} is not a simulated symbol (SYN001, SYN002, ...)")
    base = f"S{int(match.group(1)):05d}10"
    return base + cusip_check_digit(base)
