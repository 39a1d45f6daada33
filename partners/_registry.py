"""Loads partner profiles from a folder and finds the one an interchange came from.

A file that cannot be read, does not fit the schema or clashes with another profile is
refused, not fatal: the registry keeps it in ``refused`` with its error (and the ISA and email
senders it names, when it can be read), so the other partners keep trading and a document from
the refused partner can say why it has no profile.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gateway.errors import ConfigError

from ._erp import ErpTarget
from ._profile import DEFAULT_MAX_SEGMENT_BYTES
from ._profile import PartnerProfile

PROFILES_DIR = Path(__file__).parent / "profiles"


class ProfileError(ConfigError):
    """A profile file that cannot be read or does not fit the schema."""


@dataclass(frozen=True, slots=True)
class RefusedProfile:
    """A profile file the registry did not take, and why (``error``, without the path); what it
    names of its sender, if readable."""

    path: Path
    error: str
    name: str | None = None
    isa: tuple[str, str] | None = None
    email_senders: tuple[str, ...] = ()

    @property
    def refusal(self) -> str:
        """What a document from this partner says: which file was refused, and why."""
        return f"its profile {self.path.name} was refused: {self.error}"


def load_profile(path: Path) -> PartnerProfile:
    return _validate(path, _read(path))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from exc


def _validate(path: Path, data: dict[str, Any]) -> PartnerProfile:
    try:
        return PartnerProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise ProfileError(f"{path}: invalid profile: {problems}") from exc


def _problem(error: ErrorDetails) -> str:
    """``acks.0: Input should be '997', '999' or '855' (got '998')``: where, what, and the value found."""
    where = ".".join(str(part) for part in error["loc"]) or "the file"
    shown = error["type"] != "missing" and not isinstance(error["input"], dict)
    return f"{where}: {error['msg']}" + (f" (got {error['input']!r:.60})" if shown else "")


def _refused(path: Path, error: str, data: dict[str, Any] | None) -> RefusedProfile:
    """The refusal, with the name, ISA and email senders the raw file gives (if it could be read)."""
    data = data or {}
    isa = data.get("isa")
    isa_key = None
    if isinstance(isa, dict) and isinstance(isa.get("qualifier"), str) and isinstance(isa.get("id"), str):
        isa_key = _key(isa["qualifier"], isa["id"])
    senders = data.get("email_senders")
    emails = (
        tuple(s.strip().lower() for s in senders if isinstance(s, str)) if isinstance(senders, list) else ()
    )
    name = data.get("name") if isinstance(data.get("name"), str) else None
    error = error.removeprefix(f"{path}: ")  # the file is named beside it wherever it is shown
    return RefusedProfile(path=path, error=error, name=name, isa=isa_key, email_senders=emails)


def _key(qualifier: str, isa_id: str) -> tuple[str, str]:
    return (qualifier.strip().upper(), isa_id.strip().upper())


class PartnerRegistry:
    """Partner profiles keyed by name and by their ISA sender qualifier+id and GS sender."""

    def __init__(self, profiles: Iterable[PartnerProfile] = ()) -> None:
        self._by_name: dict[str, PartnerProfile] = {}
        self._by_isa: dict[tuple[str, str], list[PartnerProfile]] = {}
        self._erp_targets: dict[str, tuple[ErpTarget, str]] = {}  # name -> the target, the profile naming it
        self.refused: list[RefusedProfile] = []
        for profile in profiles:
            self.add(profile)

    @classmethod
    def from_directory(cls, directory: Path = PROFILES_DIR) -> PartnerRegistry:
        """Every ``*.toml`` in ``directory``; a bad file is kept in ``refused``, the others load.

        A folder that is missing (or not a folder) raises ``ProfileError``.
        """
        if not directory.is_dir():
            raise ProfileError(f"{directory}: no such profiles folder")
        registry = cls()
        for path in sorted(directory.glob("*.toml")):
            data: dict[str, Any] | None = None
            try:
                data = _read(path)
                registry.add(_validate(path, data))
            except ProfileError as exc:
                registry.refused.append(_refused(path, str(exc), data))
        return registry

    def add(self, profile: PartnerProfile) -> None:
        if profile.name in self._by_name:
            raise ProfileError(f"two profiles are named {profile.name!r}")
        targets = profile.erp.targets() if profile.erp is not None else []
        for target in targets:  # one name is one ERP (one status row, one rest after a failure)
            known, named_by = self._erp_targets.get(target.name, (target, profile.name))
            if known != target:
                raise ProfileError(
                    f"ERP target {target.name!r} is defined differently in profile {named_by!r}: "
                    "give this one another name, or the same keys"
                )
        isa = profile.isa
        if isa is not None:  # a [channel] profile trades no X12: no ISA sender to be found by
            same_isa = self._by_isa.setdefault(_key(isa.qualifier, isa.id), [])
            if any(p.isa is not None and p.isa.gs_id == isa.gs_id for p in same_isa):
                raise ProfileError(
                    f"profiles {profile.name!r} and {same_isa[0].name!r} share ISA "
                    f"{isa.qualifier}/{isa.id} and GS id {isa.gs_id}"
                )
            same_isa.append(profile)
        self._by_name[profile.name] = profile
        for target in targets:
            self._erp_targets.setdefault(target.name, (target, profile.name))

    def get(self, name: str) -> PartnerProfile | None:
        return self._by_name.get(name)

    def by_x12_sender(self, qualifier: str, isa_id: str, gs_sender: str | None) -> PartnerProfile | None:
        """The profile for ISA05/ISA06 and GS02; a profile without ``gs_id`` matches any GS02.

        ``gs_sender`` None means the interchange has no GS: the one profile with that ISA
        sender is still the sender (its envelope is what is wrong), whatever its ``gs_id``.
        """
        candidates = self._by_isa.get(_key(qualifier, isa_id), [])
        if gs_sender is None and len(candidates) == 1:
            return candidates[0]
        gs = (gs_sender or "").strip().upper()
        exact = [p for p in candidates if p.isa and p.isa.gs_id and p.isa.gs_id.upper() == gs]
        if exact:
            return exact[0]
        return next((p for p in candidates if p.isa and p.isa.gs_id is None), None)

    def max_segment_bytes(self, qualifier: str, isa_id: str) -> int:
        """The longest X12 segment an ISA sender may send: the most any of its profiles allows."""
        profiles = self._by_isa.get(_key(qualifier, isa_id), [])
        return max((p.max_segment_bytes for p in profiles), default=DEFAULT_MAX_SEGMENT_BYTES)

    def refusal_for_x12_sender(self, qualifier: str, isa_id: str) -> str | None:
        """Why the ISA sender has no profile, when a refused file names it; else None."""
        key = _key(qualifier, isa_id)
        return next((r.refusal for r in self.refused if r.isa == key), None)

    def refusal_for_email(self, address: str) -> str | None:
        """Why the email sender has no profile, when a refused file lists it or its domain; else None."""
        wanted = address.strip().lower()
        domain = "@" + wanted.rpartition("@")[2]
        return next((r.refusal for r in self.refused if {wanted, domain} & set(r.email_senders)), None)

    def by_email(self, address: str) -> PartnerProfile | None:
        """The profile listing ``address`` in ``email_senders``, or its domain as ``@domain``."""
        wanted = address.strip().lower()
        domain = "@" + wanted.rpartition("@")[2]
        for exact in (True, False):
            for profile in self._by_name.values():
                senders = [s.lower() for s in profile.email_senders]
                if (exact and wanted in senders) or (not exact and domain in senders):
                    return profile
        return None

    def __iter__(self) -> Iterator[PartnerProfile]:
        return iter(sorted(self._by_name.values(), key=lambda p: p.name))

    def __len__(self) -> int:
        return len(self._by_name)
