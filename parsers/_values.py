"""Numbers and dates as documents write them, read into Decimals and dates."""

from __future__ import annotations

import re
import unicodedata
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
CURRENCY_CODES = frozenset((
    "USD", "EUR", "GBP", "CAD", "MXN", "CHF", "JPY", "CNY", "RMB", "AUD", "NZD", "SEK", "NOK", "DKK", "ISK",
    "PLN", "CZK", "HUF", "RON", "BGN", "HRK", "RSD", "UAH", "RUB", "TRY", "INR", "BRL", "ARS", "CLP", "COP",
    "PEN", "ZAR", "KWD", "BHD", "OMR", "JOD", "TND", "LYD", "IQD", "QAR", "AED", "SAR", "ILS", "EGP", "NGN",
    "KES", "SGD", "HKD", "KRW", "TWD", "THB", "MYR", "IDR", "PHP", "VND", "PKR", "BDT", "LKR",
))  # fmt: skip  # the one list of ISO 4217 codes the readers know ("ALL", "TOP" are words: left out)
# Codes that are also words or abbreviations: a currency only beside a number or under a currency label.
WORDLIKE_CODES = frozenset(("PEN", "RON", "COP", "SAR", "ARS", "KES", "ILS"))
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


_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            "january jan enero ene januar jan janvier janv januari",
            "february feb febrero febr februar fevrier fev februari",
            "march mar marzo maerz marz maer mars maart mrt",
            "april apr abril abr avril avr",
            "may mayo mai mei",
            "june jun junio juni juin",
            "july jul julio juli juillet juil",
            "august aug agosto ago august aout augustus",
            "september sep sept septiembre setiembre set septembre",
            "october oct octubre okt oktober octobre",
            "november nov noviembre novembre",
            "december dec diciembre dic dezember dez decembre",
        ),
        start=1,
    )
    for name in names.split()
}  # month names and abbreviations in English, Spanish, German, French and Dutch
_TIME = re.compile(
    r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?(?:Z|[+-]\d{2}:?\d{2})?)$"
)
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DAY_NAMED = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th|er)?[\s./-]*(?:de\s+)?([^\W\d_]{3,})\.?[\s./,-]*(?:de\s+)?(\d{4}|\d{2})"
)
_NAMED_DAY = re.compile(r"([^\W\d_]{3,})\.?[\s./-]*(\d{1,2})(?:st|nd|rd|th)?[\s.,/-]+(\d{4})")


def _fold(text: str) -> str:
    """Lower case without accents: "Février" -> "fevrier", "März" -> "marz"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _year(text: str) -> int:
    year = int(text)
    return year if len(text) == 4 else 2000 + year if year < 70 else 1900 + year


def _made(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year < 2200:
        return None  # "4500-01-12" is a number, not a date
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_readings(value: str) -> list[date]:
    """Every date ``value`` can be read as: two when day and month could swap ("01/04/21"), else one or none.

    Accepted: ISO (also with a time after it), DD.MM.YY(YY), MM/DD/YY(YY) and DD/MM/YY(YY), YYYYMMDD,
    "24-Jan-2026", "Jan 08, 2021", "8 janvier 2026", "8. März 2026", "8 de enero de 2026".
    A dotted date is day first (the European way); a date with a time after it keeps only the date.
    """
    text = _TIME.sub("", " ".join(value.split())).strip(" ,;")
    if match := _ISO.fullmatch(text):
        found = _made(int(match[1]), int(match[2]), int(match[3]))
        return [found] if found else []
    if match := _NUMERIC.fullmatch(text):
        first, separator, second, year = int(match[1]), match[2], int(match[3]), _year(match[4])
        day_first = _made(year, second, first)
        if separator == ".":
            return [day_first] if day_first else []
        month_first = _made(year, first, second)
        return list(dict.fromkeys(d for d in (month_first, day_first) if d is not None))
    if match := _COMPACT.fullmatch(text):
        found = _made(int(match[1]), int(match[2]), int(match[3]))
        return [found] if found else []
    folded = _fold(text)
    for pattern, day_at, month_at in ((_DAY_NAMED, 1, 2), (_NAMED_DAY, 2, 1)):
        if (match := pattern.fullmatch(folded)) and (month := _MONTHS.get(match[month_at])):
            found = _made(_year(match[3]), month, int(match[day_at]))
            return [found] if found else []
    return []


def parse_date(value: Value, day_first: bool | None = None) -> date | None:
    """A date as documents write it (see ``date_readings``), an Excel serial day, or a date object.

    When day and month could swap, ``day_first`` decides; unset, the month comes first (US usage).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    if not isinstance(value, str):
        return None
    readings = date_readings(value)
    if not readings:
        return None
    return readings[-1] if day_first and len(readings) == 2 else readings[0]
