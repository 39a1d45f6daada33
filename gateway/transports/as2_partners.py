"""A partner profile's ``[as2]`` table as pyas2lib ``Partner`` objects, one per direction.

Inbound, ``sign``/``encrypt`` on a pyas2lib partner mean "require": they come from the
profile's ``require_signed``/``require_encrypted``. Outbound they mean "do": ``sign``,
``encrypt``, ``compress``, plus the MDN we ask for. The partner's certificate is pinned (see
``as2_certificates``); pyas2lib's own chain check is off because it would also demand a CA for a
CA-issued certificate, and it reads the system clock instead of ours.
"""

from __future__ import annotations

from gateway.transports import _oscrypto_compat  # noqa: F401 - before pyas2lib: see its docstring

# isort: split

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pyas2lib import Partner
from pyas2lib.exceptions import AS2Exception

from gateway import config
from gateway.errors import ConfigError
from partners import As2Link
from partners import PartnerProfile
from partners import PartnerRegistry

from .as2_certificates import pem_certificate
from .as2_certificates import read_file
from .as2_certificates import validity_problem

INVALID_CERTIFICATE = "invalid-certificate"


@dataclass
class PinnedPartner(Partner):
    """A pyas2lib partner whose certificate was checked against our clock when it was built."""

    certificate_problem: str | None = None

    def load_verify_cert(self) -> Any:
        self._refuse_bad_certificate()
        return super().load_verify_cert()

    def load_encrypt_cert(self) -> Any:
        self._refuse_bad_certificate()
        return super().load_encrypt_cert()

    def _refuse_bad_certificate(self) -> None:
        if self.certificate_problem:
            raise AS2Exception(self.certificate_problem, INVALID_CERTIFICATE)


def profile_for_as2_id(partners: PartnerRegistry, as2_id: str) -> PartnerProfile | None:
    """The profile whose ``as2.as2_id`` is exactly ``as2_id`` (AS2 names are case-sensitive)."""
    return next((p for p in partners if p.as2 is not None and p.as2.as2_id == as2_id), None)


def link_of(profile: PartnerProfile) -> As2Link:
    if profile.as2 is None:
        raise ConfigError(f"partner {profile.name} has no [as2] table")
    return profile.as2


def certificate_path(link: As2Link, base_dir: Path | None = None) -> Path:
    path = Path(link.certificate)
    return path if path.is_absolute() else (base_dir or config.partners_dir()) / path


def inbound_partner(profile: PartnerProfile, *, at: datetime, base_dir: Path | None = None) -> PinnedPartner:
    """How we check what ``profile`` sends us: its pinned certificate and what we require."""
    link = link_of(profile)
    return _pinned(profile, link, at, base_dir, sign=link.require_signed, encrypt=link.require_encrypted)


def outbound_partner(profile: PartnerProfile, *, at: datetime, base_dir: Path | None = None) -> PinnedPartner:
    """How we send to ``profile``: sign, encrypt, compress, and the MDN we ask for."""
    link = link_of(profile)
    return _pinned(
        profile,
        link,
        at,
        base_dir,
        sign=link.sign,
        encrypt=link.encrypt,
        compress=link.compress,
        mdn_mode="ASYNC" if link.mdn_mode == "async" else "SYNC",
        mdn_digest_alg=link.digest_alg if link.mdn_signed else None,
    )


def _pinned(
    profile: PartnerProfile, link: As2Link, at: datetime, base_dir: Path | None, **direction: Any
) -> PinnedPartner:
    """What both directions share (the pinned certificate, the algorithms), plus ``direction``'s own settings."""
    certificate, problem = _certificate(profile, link, at, base_dir)
    return PinnedPartner(
        as2_name=link.as2_id,
        verify_cert=certificate,
        encrypt_cert=certificate,
        validate_certs=False,
        digest_alg=link.digest_alg,
        enc_alg=link.encryption_alg,
        certificate_problem=problem,
        **direction,
    )


def _certificate(
    profile: PartnerProfile, link: As2Link, at: datetime, base_dir: Path | None
) -> tuple[bytes, str | None]:
    path = certificate_path(link, base_dir)
    what = f"partner {profile.name}'s AS2 certificate {path}"
    pem, parsed = pem_certificate(read_file(path, f"partner {profile.name}'s AS2 certificate"), what)
    problem = validity_problem(parsed, at, f"the {profile.name} AS2")
    return pem, problem
