"""GS1 identifiers the gateway assigns: SSCC-18 pack labels from a partner's company prefix."""

from __future__ import annotations

from stdnum import ean

SSCC_DIGITS = 18


def serial_digits(company_prefix: str) -> int:
    """How many digits of serial an SSCC-18 under ``company_prefix`` has room for."""
    return SSCC_DIGITS - 2 - len(company_prefix)


def sscc_body(company_prefix: str, serial: int, extension: int = 0) -> str:
    """The first 17 digits of an SSCC: extension, prefix, serial; they sort as the serials do."""
    room = serial_digits(company_prefix)
    if not (0 <= serial < 10**room):
        raise ValueError(f"serial {serial} does not fit the {room} digits GS1 prefix {company_prefix} leaves")
    return f"{extension}{company_prefix}{serial:0{room}d}"


def sscc(company_prefix: str, serial: int, extension: int = 0) -> str:
    """The SSCC-18 for ``serial`` under ``company_prefix``: extension, prefix, serial, GS1 mod-10 digit."""
    body = sscc_body(company_prefix, serial, extension)
    return body + ean.calc_check_digit(body)


def is_valid_sscc(value: str) -> bool:
    """18 digits whose last is the GS1 mod-10 check digit of the others."""
    if len(value) != SSCC_DIGITS or not value.isdigit():
        return False
    return ean.calc_check_digit(value[:-1]) == value[-1]
