"""Numbers and dates as documents write them, read into Decimals and dates."""

from __future__ import annotations

import re
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
