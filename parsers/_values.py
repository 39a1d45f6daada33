"""Numbers and dates as documents write them, read into Decimals and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation

Value = str | int | float | Decimal | date | datetime | None
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_number(value: Value) -> Decimal | None:
    """Numbers, also when stored as text: thousands separators, currency signs, decimal commas."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if not isinstance(value, str):
        return None
    amount = read_amount(value)
    if amount is not None:
        return amount.value
    return _plain_number(re.sub(r"[\s$€£]", "", value))  # also scientific notation ("1E+20")


@dataclass(frozen=True, slots=True)
class Amount:
    """A number as printed, with the currency or unit written beside it ("5.05 USD", "510/EA", "$4.61/Ea")."""

    value: Decimal
    currency: str | None = None
    uom: str | None = None


CURRENCY_SIGNS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "RS": "INR",
                  "RS.": "INR", "C$": "CAD", "A$": "AUD", "CHF": "CHF", "FR.": "CHF"}  # fmt: skip
CURRENCY_CODES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "CNY",
        "INR",
        "CAD",
        "AUD",
        "NZD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "MXN",
        "BRL",
        "ARS",
        "CLP",
        "COP",
        "PEN",
        "ZAR",
        "KWD",
        "BHD",
        "OMR",
        "JOD",
        "TND",
        "LYD",
        "IQD",
        "AED",
        "SAR",
        "QAR",
        "TRY",
        "RUB",
        "UAH",
        "ILS",
        "EGP",
        "SGD",
        "HKD",
        "TWD",
        "KRW",
        "THB",
        "MYR",
        "IDR",
        "PHP",
        "VND",
        "PKR",
    ]
)
THREE_DECIMAL_CURRENCIES = frozenset({"KWD", "BHD", "OMR", "JOD", "TND", "LYD", "IQD"})
_AMOUNT = re.compile(
    r"^(?P<pre>[A-Z]{3}|US\$|[CA]\$|Rs\.?|Fr\.|[$€£¥₹])?\s*"
    r"(?P<neg>[-(])?(?P<num>\d[\d.,'’ ]*)(?P<neg2>[-)])?\s*"
    r"(?P<post>[A-Za-z]{1,5}\.?|[$€£¥₹])?\s*(?:/\s*(?P<per>[A-Za-z]{1,5}))?$",
    re.IGNORECASE,
)


def decimal_mark(texts: list[str]) -> str | None:
    """The decimal mark a document uses, from its unambiguous numbers ("1,956.02" or "3.570,00"), if any."""
    dots = sum(bool(re.search(r"\d,\d{3}\.\d|(?<![\d.,])\d+\.\d{1,2}$|\.\d{4,}$", t)) for t in texts)
    commas = sum(bool(re.search(r"\d\.\d{3},\d|(?<![\d.,])\d+,\d{1,2}(?:\s*\D*)$", t)) for t in texts)
    return "." if dots > commas else "," if commas > dots else None


def read_amount(text: str, decimal: str | None = None) -> Amount | None:
    """A number with what is printed around it: a currency sign or code, or a unit of measure.

    "1.250 KWD" keeps three decimals (a three-decimal currency); "1.428,000" and "1,428.000" are both
    1428; a lone comma with one or two digits after it is a decimal comma ("12,50").
    """
    match = _AMOUNT.match(text.strip())
    if match is None:
        return None
    currency: str | None = None
    uom: str | None = None
    for where in ("pre", "post"):
        side = match.group(where)
        if not side:
            continue
        key = side.upper()
        if key in CURRENCY_SIGNS or key in CURRENCY_CODES:
            currency = CURRENCY_SIGNS.get(key, key)
        elif where == "post" and side.isalpha():
            uom = key
        else:
            return None
    if match.group("per"):
        uom = match.group("per").upper()
    raw = match.group("num").strip()
    if " " in raw and not re.fullmatch(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?", raw):
        return None  # two numbers side by side, not one grouped by spaces
    digits = re.sub(r"[\s'’]", "", raw)
    if decimal == "." and re.fullmatch(r"\d{1,3}\.\d{3}", digits):
        decimal_point = True
    else:
        decimal_point = currency in THREE_DECIMAL_CURRENCIES
    if decimal == "," and re.fullmatch(r"\d{1,3},\d{3}", digits):
        digits = digits.replace(",", ".")
    number = _plain_number(digits, three_decimals=decimal_point)
    if number is None:
        return None
    if match.group("neg") or match.group("neg2"):
        number = -number
    return Amount(number, currency, uom)


def _plain_number(text: str, *, three_decimals: bool = False) -> Decimal | None:
    """Digits with separators: the last separator is the decimal mark unless it groups thousands."""
    if three_decimals and re.fullmatch(r"\d+\.\d{3}", text):
        pass
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+,\d{1,2}|\d+,\d{4,}", text):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_date(value: Value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    text = "" if value is None else str(value).strip()
    for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%b %d, %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
