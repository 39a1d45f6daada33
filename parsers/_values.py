"""Numbers and dates as documents write them, read into Decimals and dates."""

from __future__ import annotations

import re
import unicodedata
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
    text = re.sub(r"[\s$€£]", "", value)
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?|-?\d+,\d{1,2}", text):
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
