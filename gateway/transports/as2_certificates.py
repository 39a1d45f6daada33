"""X.509 certificates for AS2: read a PEM (or PKCS#12) file and say whether it is valid at a time.

A partner's certificate is pinned: the profile names the exact certificate, so trust comes from
the profile, not from a CA chain. What is checked is the validity period, against the
gateway's own clock, so an expired or not-yet-valid certificate is refused with its dates.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from gateway.errors import ConfigError

_PEM_CERT = b"-----BEGIN CERTIFICATE-----"


def read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def pem_certificate(data: bytes, what: str) -> tuple[bytes, x509.Certificate]:
    """The first certificate in PEM ``data``, as PEM bytes and parsed."""
    start = data.find(_PEM_CERT)
    if start < 0:
        raise ConfigError(f"{what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        certificate = x509.load_pem_x509_certificate(data[start:])
    except ValueError as exc:
        raise ConfigError(f"{what} is not a readable X.509 certificate: {exc}") from exc
    return certificate.public_bytes(serialization.Encoding.PEM), certificate


def pkcs12_certificate(data: bytes, password: str | None, what: str) -> tuple[bytes, x509.Certificate]:
    """The certificate inside PKCS#12 ``data``."""
    try:
        _, certificate, _ = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError as exc:
        raise ConfigError(f"{what} is not a PKCS#12 file this password opens: {exc}") from exc
    if certificate is None:
        raise ConfigError(f"{what} holds a key but no certificate")
    return certificate.public_bytes(serialization.Encoding.PEM), certificate


def describe(certificate: x509.Certificate) -> str:
    return f"{certificate.subject.rfc4514_string()} (serial {certificate.serial_number:x})"


def validity_problem(certificate: x509.Certificate, at: datetime, whose: str) -> str | None:
    """Why ``certificate`` cannot be used at ``at``, or None when it can."""
    if at < certificate.not_valid_before_utc:
        return (
            f"{whose} certificate {describe(certificate)} is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )
    if at > certificate.not_valid_after_utc:
        return (
            f"{whose} certificate {describe(certificate)} expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    return None
