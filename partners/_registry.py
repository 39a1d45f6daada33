"""Loads partner profiles from a folder and finds the one an interchange came from."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from ._profile import PartnerProfile

PROFILES_DIR = Path(__file__).parent / "profiles"


class ProfileError(ValueError):
    """A profile file that cannot be read or does not fit the schema."""


def load_profile(path: Path) -> PartnerProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from exc
    try:
        return PartnerProfile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(f"{path}: invalid profile: {exc}") from exc


def _key(qualifier: str, isa_id: str) -> tuple[str, str]:
    return (qualifier.strip().upper(), isa_id.strip().upper())


class PartnerRegistry:
    """Partner profiles keyed by name and by their ISA sender qualifier+id and GS sender."""

    def __init__(self, profiles: Iterable[PartnerProfile] = ()) -> None:
        self._by_name: dict[str, PartnerProfile] = {}
        self._by_isa: dict[tuple[str, str], list[PartnerProfile]] = {}
        for profile in profiles:
            self.add(profile)

    @classmethod
    def from_directory(cls, directory: Path = PROFILES_DIR) -> PartnerRegistry:
        return cls(load_profile(p) for p in sorted(directory.glob("*.toml")))

    def add(self, profile: PartnerProfile) -> None:
        if profile.name in self._by_name:
            raise ProfileError(f"two profiles are named {profile.name!r}")
        same_isa = self._by_isa.setdefault(_key(profile.isa.qualifier, profile.isa.id), [])
        if any(p.isa.gs_id == profile.isa.gs_id for p in same_isa):
            raise ProfileError(
                f"profiles {profile.name!r} and {same_isa[0].name!r} share ISA "
                f"{profile.isa.qualifier}/{profile.isa.id} and GS id {profile.isa.gs_id}"
            )
        same_isa.append(profile)
        self._by_name[profile.name] = profile

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
        exact = [p for p in candidates if p.isa.gs_id and p.isa.gs_id.upper() == gs]
        if exact:
            return exact[0]
        return next((p for p in candidates if p.isa.gs_id is None), None)

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
