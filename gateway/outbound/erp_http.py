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
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

import defusedxml.ElementTree as SafeET

from gateway.errors import TransportError

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

    import httpx

    from gateway.config import ErpSettings

SAP = "erp.sap_business_one"
INTACCT = "erp.sage_intacct"
QUICKBOOKS = "erp.quickbooks_online"
RETRYABLE = frozenset({408, 425, 429})


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
            retryable=response.status_code in RETRYABLE or response.status_code >= 500,
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


def body(kind: str, content: bytes, settings: ErpSettings) -> bytes:
    """The bytes to send: the stored payload, with Intacct's credentials filled into its envelope."""
    if kind != INTACCT or not content:
        return content
    request = SafeET.fromstring(content)
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
        retryable=response.status_code in RETRYABLE or response.status_code >= 500,
    )


def _intacct(response: httpx.Response) -> Verdict:
    try:
        root = SafeET.fromstring(response.content)
    except SafeET.ParseError:
        return Verdict(False, f"the answer is not Intacct XML: {response.text[:300]}", retryable=False)
    for level in ("control", "operation/authentication", "operation/result"):
        status = root.findtext(f"{level}/status")
        if status != "success":
            return Verdict(
                False, f"Intacct {level.rsplit('/', 1)[-1]} {status or 'missing'}: {_intacct_errors(root)}"
            )
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
