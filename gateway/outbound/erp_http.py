"""How each ERP kind is spoken to over HTTP: its credentials, its idempotency key, and what its answer means.

``gateway.outbound.delivery`` owns retries and bookkeeping; this module owns what differs between
vendors:

- the credentials: an OAuth 2.0 bearer token (``GATEWAY_ERP_TOKEN``) for most; a Service Layer
  session for SAP Business One (``POST .../Login`` beside the configured ``Orders`` URL, its
  ``B1SESSION`` cookie on every request, one fresh login when a request is answered 401); the
  sender and user logins written into the stored XML envelope for Sage Intacct, at send time only;
- where the key goes: each emitter's ``IDEMPOTENCY_HEADER``, plus QuickBooks' ``requestid`` query
  parameter (the Intacct key is already the envelope's ``controlid``);
- the answer: Sage Intacct answers HTTP 200 to failures too, so its ``<status>`` elements decide; the
  JSON vendors' error bodies (Fortnox ``ErrorInformation``, QuickBooks ``Fault``, Visma
  ``ExceptionMessage``, SAP ``error.message.value``) are read into the error kept beside the payload.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

import defusedxml.ElementTree as SafeET

from gateway.errors import ErpLookupFailed
from gateway.errors import TransportError
from gateway.model.json_path import follow
from gateway.outbound.http_status import worth_retrying

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

    import httpx

    from gateway.config import ErpSettings

SAP = "erp.sap_business_one"
INTACCT = "erp.sage_intacct"
QUICKBOOKS = "erp.quickbooks_online"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an answer means: delivered, or the error to keep and whether repeating it can help."""

    delivered: bool
    error: str | None = None
    retryable: bool = False


@dataclass(slots=True)
class Sessions:
    """The SAP Business One sessions opened during one delivery run, by ERP target and login URL."""

    cookies: dict[tuple[str, str], str] = field(default_factory=dict)

    def cookie(self, client: httpx.Client, settings: ErpSettings, *, fresh: bool = False) -> str:
        """The ``Cookie`` header of a Service Layer session; logs in when there is none (or ``fresh``)."""
        url = login_url(settings.url)
        key = (settings.name, url)  # two targets on one Service Layer may log in as different users
        if fresh or key not in self.cookies:
            self.cookies[key] = _login(client, settings, url)
        return self.cookies[key]


def login_url(orders_url: str) -> str:
    """``.../b1s/v1/Login`` beside the configured ``.../b1s/v1/Orders``."""
    return orders_url.rstrip("/").rsplit("/", 1)[0] + "/Login"


def _login(client: httpx.Client, settings: ErpSettings, url: str) -> str:
    credentials = {"CompanyDB": settings.company, "UserName": settings.user, "Password": settings.password}
    response = client.post(url, json=credentials, timeout=settings.timeout_seconds)
    if not response.is_success:
        raise TransportError(
            f"SAP Business One login as {settings.user!r} to {settings.company!r} refused: "
            f"HTTP {response.status_code}: {error_text(response)}",
            retryable=worth_retrying(response.status_code),
        )
    cookies = dict(response.cookies.items())
    if "B1SESSION" not in cookies:
        raise TransportError("SAP Business One login answered without a B1SESSION cookie", retryable=False)
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def content_type(kind: str) -> str:
    return "application/xml" if kind == INTACCT else "application/json"


def query(kind: str, key: str) -> dict[str, str]:
    """Query parameters carrying the idempotency key, for the vendors that take it there."""
    return {"requestid": key} if kind == QUICKBOOKS else {}


def body(kind: str, content: bytes, settings: ErpSettings, key: str = "") -> bytes:
    """The bytes to send: the stored payload, with Intacct's credentials filled into its envelope (and a
    change's control ids, ``{key}``, made the payload's idempotency ``key``)."""
    if kind != INTACCT or not content:
        return content
    request = SafeET.fromstring(content)
    for element in request.iter():  # a change or cancel: its controlids wait for the payload's key
        if element.get("controlid", "").startswith("{key}"):
            element.set("controlid", key + element.get("controlid", "")[len("{key}") :])
        if element.tag == "controlid" and (element.text or "").startswith("{key}"):
            element.text = key + (element.text or "")[len("{key}") :]
    _fill(request, "control/senderid", settings.sender_id)
    _fill(request, "control/password", settings.sender_password)
    _fill(request, "operation/authentication/login/userid", settings.user)
    _fill(request, "operation/authentication/login/companyid", settings.company)
    _fill(request, "operation/authentication/login/password", settings.password)
    import xml.etree.ElementTree as ET  # writing only: the tree was parsed safely above

    return ET.tostring(request, encoding="utf-8", xml_declaration=True)


def _fill(root: ET.Element, path: str, value: str | None) -> None:
    element = root.find(path)
    if element is None:
        raise TransportError(f"the stored Intacct request has no {path}", retryable=False)
    element.text = value or ""


def judge(kind: str, response: httpx.Response) -> Verdict:
    """What ``response`` means for a payload of ``kind``."""
    if response.is_success and kind == INTACCT:
        return _intacct(response)
    if response.is_success or response.status_code == 409:  # 409: the key was seen
        return Verdict(delivered=True)
    return Verdict(
        delivered=False,
        error=f"HTTP {response.status_code}: {error_text(response)}",
        retryable=worth_retrying(response.status_code),
    )


def _intacct(response: httpx.Response) -> Verdict:
    try:
        root = SafeET.fromstring(response.content)
    except SafeET.ParseError:
        return Verdict(False, f"the answer is not Intacct XML: {response.text[:300]}", retryable=False)
    results = root.findall("operation/result")  # every function's: a change has two (delete, create)
    levels: list[tuple[str, ET.Element | None]] = [
        ("control", root.find("control")),
        ("authentication", root.find("operation/authentication")),
        *[("result", result) for result in results],
    ]
    if not results:
        levels.append(("result", None))  # no result at all: missing
    for name, level in levels:
        status = level.findtext("status") if level is not None else None
        if status != "success":
            return Verdict(False, f"Intacct {name} {status or 'missing'}: {_intacct_errors(root)}")
    return Verdict(delivered=True)


def _intacct_errors(root: ET.Element) -> str:
    errors = [
        " ".join(text for text in (error.findtext(tag) for tag in _INTACCT_ERROR_PARTS) if text)
        for error in root.iter("error")
    ]
    return "; ".join(errors) or "no error message"


_INTACCT_ERROR_PARTS = ("errorno", "description", "description2", "correction")


def error_text(response: httpx.Response) -> str:
    """The vendor's own error message from a JSON error body, else the body's start."""
    try:
        data = json.loads(response.text)
    except ValueError:
        return response.text[:300]
    message = _json_message(data) if isinstance(data, dict) else None
    return (message or response.text)[:300]


def _json_message(data: dict[str, Any]) -> str | None:
    lowered = {key.lower(): value for key, value in data.items()}
    info = lowered.get("errorinformation")  # Fortnox
    if isinstance(info, dict):
        fields = {key.lower(): value for key, value in info.items()}
        return f"{fields.get('message')} (code {fields.get('code')})"
    fault = lowered.get("fault")  # QuickBooks Online
    if isinstance(fault, dict):
        return "; ".join(
            f"{e.get('Message')}: {e.get('Detail')} (code {e.get('code')})" for e in fault.get("Error", [])
        )
    error = lowered.get("error")  # SAP Service Layer (OData)
    if isinstance(error, dict):
        message = error.get("message")
        text = message.get("value") if isinstance(message, dict) else message
        return f"{text} (code {error.get('code')})"
    for key in ("exceptionmessage", "message"):  # Visma.net
        if isinstance(lowered.get(key), str):
            return str(lowered[key])
    return None


@dataclass(frozen=True, slots=True)
class Found:
    """The one record a look-up found: its id, its fields, and whether the cancel asked for is already made."""

    key: str
    record: Mapping[str, Any]
    done: bool = False


def look_up_request(kind: str, url: str, find: Mapping[str, Any]) -> tuple[str, str, dict[str, str], str]:
    """The look-up's method, URL, query and what it looks for, from the stored ``find`` (``emitters._erp.find_one``).

    The URL is the configured one, or ``find["sibling"]`` in place of its last segment; QuickBooks' query
    names the entity the URL ends in (``{entity}``)."""
    entity = _quickbooks_entity(url) if kind == QUICKBOOKS else ""
    target = url.rstrip("/").rsplit("/", 1)[0] + "/" + find["sibling"] if find.get("sibling") else url
    params = {
        name: str(value).replace("{entity}", entity) for name, value in (find.get("params") or {}).items()
    }
    return (
        find.get("method", "GET"),
        target,
        params,
        str(find.get("what", "the order")).replace("{entity}", entity),
    )


def read_found(kind: str, url: str, find: Mapping[str, Any], what: str, response: httpx.Response) -> Found:
    """The one open record ``response`` (the answer to the look-up of ``what``, as ``look_up_request``
    names it) holds, or ``ErpLookupFailed`` saying why not."""
    if not response.is_success:
        raise ErpLookupFailed(
            f"looking up {what}: HTTP {response.status_code}: {error_text(response)}",
            retryable=worth_retrying(response.status_code),
        )
    items = str(find.get("items", "")).replace(
        "{entity}", _quickbooks_entity(url) if kind == QUICKBOOKS else ""
    )
    records = _intacct_records(response, items) if kind == INTACCT else _json_records(response, items)
    match: Mapping[str, Any] = find.get("match") or {}
    closed: Mapping[str, Any] = find.get("closed") or {}
    matching = [r for r in records if _carries(r, match)]
    open_ = [r for r in matching if not (closed and _carries(r, closed))]
    if len(open_) == 1 or (not open_ and matching and find.get("done_when_closed")):
        record = (open_ or matching)[0]
        key = follow(record, str(find["key"]).split("."))
        if key is None or key == "":
            raise ErpLookupFailed(f"the record found for {what} has no {find['key']}", retryable=False)
        return Found(str(key), record, done=not open_)
    cancelled = (
        f" ({len(matching) - len(open_)} more already cancelled)" if len(matching) > len(open_) else ""
    )
    raise ErpLookupFailed(
        f"{len(open_)} open records in the ERP match {what}{cancelled}; one was expected", retryable=False
    )


def found_headers(find: Mapping[str, Any], found: Found) -> dict[str, str]:
    """Headers the record found adds to the request: its ETag as ``If-Match`` (``find["if_match"]``; ``*``
    when the answer carries none)."""
    field = find.get("if_match")
    return {"If-Match": str(found.record.get(field) or "*")} if field else {}


def complete(kind: str, request: Mapping[str, Any], content: bytes, found: Found) -> bytes:
    """The stored change or cancel with what the look-up found written in: QuickBooks' ``Id`` and
    ``SyncToken`` (``fill``), Visma's old lines deleted (``replace_lines``), Intacct's ``DOCID`` (``key``)."""
    if kind == INTACCT:
        root = SafeET.fromstring(content)
        for element in root.iter():
            if element.get("key") == "{id}":
                element.set("key", found.key)
        import xml.etree.ElementTree as ET  # writing only: the tree was parsed safely above

        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    fill: list[str] = request.get("fill") or []
    replace: Mapping[str, str] = request.get("replace_lines") or {}
    if not fill and not replace:
        return content
    from emitters import json_bytes  # exact decimals back into bytes, as the emitter wrote them

    body = json.loads(content, parse_float=Decimal)
    if replace:
        old = [
            follow(line, replace["number"].split(".")) for line in found.record.get(replace["lines"]) or []
        ]
        deletes = [
            {"operation": "Delete", "lineNumber": {"value": number}} for number in old if number is not None
        ]
        body[replace["lines"]] = [*deletes, *body.get(replace["lines"], [])]
    body = {**{name: found.record.get(name) for name in fill}, **body}
    return json_bytes(body)


def operation(kind: str, request: Mapping[str, Any], url: str) -> dict[str, str]:
    """Query parameters a request's ``operation`` adds: QuickBooks' delete (an estimate) or void (a receipt)."""
    operations: Mapping[str, str] = request.get("operation") or {}
    entity = url.rstrip("/").rsplit("/", 1)[-1].lower()
    return {"operation": operations[entity]} if entity in operations else {}


def _quickbooks_entity(url: str) -> str:
    from emitters.erp_quickbooks_online import QUERY_NAMES

    segment = url.rstrip("/").rsplit("/", 1)[-1].lower()
    return QUERY_NAMES.get(segment, "Estimate")


def _json_records(response: httpx.Response, items: str) -> list[Mapping[str, Any]]:
    try:
        data: Any = json.loads(response.content)
    except ValueError:
        raise ErpLookupFailed(
            f"the look-up's answer is not JSON: {response.text[:300]}", retryable=False
        ) from None
    data = follow(data, filter(None, items.split(".")))
    if data is None:
        return []  # QuickBooks leaves the entity out of an empty QueryResponse
    if not isinstance(data, list):
        raise ErpLookupFailed(f"the look-up's answer has no list at {items or 'its top'}", retryable=False)
    return [record for record in data if isinstance(record, dict)]


def _intacct_records(response: httpx.Response, items: str) -> list[Mapping[str, Any]]:
    verdict = _intacct(response)
    if not verdict.delivered:
        raise ErpLookupFailed(f"the look-up was refused: {verdict.error}", retryable=verdict.retryable)
    root = SafeET.fromstring(response.content)
    data = root.find(items)
    return [{child.tag: child.text for child in record} for record in (data if data is not None else [])]


def _carries(record: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """Whether ``record`` holds each of ``fields`` (dotted names) as ``_same`` compares them."""
    return all(_same(follow(record, name.split(".")), value) for name, value in fields.items())


def _same(found: Any, expected: Any) -> bool:
    """Equal, with numbers and ids compared as the strings they are written as (Visma's ``lineNbr`` 1 is "1")."""
    if isinstance(expected, bool) or isinstance(found, bool):
        return found is expected
    return found is not None and str(found) == str(expected)
