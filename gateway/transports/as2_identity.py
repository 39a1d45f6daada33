"""Our own AS2 identity: AS2 id, signing/decryption key and certificate, read from the environment.

Environment:

- ``GATEWAY_AS2_ID``: our AS2 id (AS2-To of what partners send us). Unset: AS2 is off.
- ``GATEWAY_AS2_KEY_FILE``: our private key, PEM (it may hold the certificate too) or PKCS#12.
- ``GATEWAY_AS2_CERT_FILE``: our certificate, PEM; not needed when the key file holds it.
- ``GATEWAY_AS2_KEY_PASSWORD``: the key's password, when it has one.
- ``GATEWAY_AS2_MDN_URL``: our public URL for asynchronous MDNs (``https://edi.example.com/as2``);
  a partner profile's ``as2.mdn_url`` overrides it.
- ``GATEWAY_AS2_DOMAIN``: the part after ``@`` in our Message-IDs (default: this host's FQDN).
- ``GATEWAY_AS2_EMAIL``: our ``Disposition-Notification-To`` address.

One key signs and decrypts. Loading refuses an expired certificate, or a key that does not
belong to the certificate: every MDN signed with them would be refused by the partner.
"""

from __future__ import annotations

from gateway.transports import _oscrypto_compat  # noqa: F401 - before pyas2lib: see its docstring

# isort: split

import copy
import socket
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from pyas2lib import Organization
from pyas2lib.exceptions import AS2Exception

from gateway.errors import ConfigError

from .as2_certificates import pem_certificate
from .as2_certificates import pkcs12_certificate
from .as2_certificates import read_file
from .as2_certificates import validity_problem


@dataclass(frozen=True)
class As2Identity:
    """Who we are in AS2; ``key`` is the key file's bytes as pyas2lib loads them (PEM with cert, or PKCS#12)."""

    as2_id: str
    key: bytes
    certificate: bytes
    key_password: str | None = None
    mdn_url: str | None = None
    domain: str | None = None
    email: str | None = None

    @classmethod
    def from_files(
        cls,
        as2_id: str,
        key_file: Path,
        cert_file: Path | None = None,
        *,
        key_password: str | None = None,
        mdn_url: str | None = None,
        domain: str | None = None,
        email: str | None = None,
        at: datetime | None = None,
    ) -> As2Identity:
        """Read and check our key and certificate; ``at`` (default now) is when the certificate must be valid."""
        key = read_file(key_file, "AS2 key file")
        if b"-----BEGIN" not in key:  # PKCS#12: the certificate is inside
            certificate, parsed = pkcs12_certificate(key, key_password, f"AS2 key file {key_file}")
        else:
            source = read_file(cert_file, "AS2 certificate file") if cert_file else key
            certificate, parsed = pem_certificate(source, f"AS2 certificate file {cert_file or key_file}")
            if cert_file is not None:  # pyas2lib takes the last certificate it finds
                key = key.rstrip(b"\n") + b"\n" + certificate
        problem = validity_problem(parsed, at or datetime.now(UTC), "our AS2")
        if problem:
            raise ConfigError(f"{problem}; renew it and give partners the new certificate")
        identity = cls(as2_id, key, certificate, key_password, mdn_url, domain, email)
        signer = identity.organization().sign_key
        assert signer is not None
        ours = parsed.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if signer[0].public_key.asn1.dump() != ours or signer[1].asn1.public_key.dump() != ours:
            raise ConfigError(f"AS2 key file {key_file} does not hold the key of certificate {cert_file}")
        return identity

    @property
    def message_domain(self) -> str:
        return self.domain or socket.getfqdn()

    @property
    def notification_address(self) -> str:
        return self.email or f"as2@{self.message_domain}"

    def organization(self, mdn_url: str | None = None) -> Organization:
        """pyas2lib's view of us; ``mdn_url`` (else ours) is where partners post async MDNs."""
        organization = copy.copy(self._organization)
        organization.mdn_url = mdn_url or self.mdn_url
        return organization

    @cached_property
    def _organization(self) -> Organization:
        try:
            return Organization(
                as2_name=self.as2_id,
                sign_key=self.key,
                sign_key_pass=self.key_password,
                decrypt_key=self.key,
                decrypt_key_pass=self.key_password,
                domain=self.message_domain,
            )
        except (AS2Exception, ValueError, OSError) as exc:
            raise ConfigError(f"cannot load our AS2 key: {exc}") from exc
