"""How a partner's documents travel: SFTP pull and push, our drop inbox, AS2.

Secrets never sit in a profile: a password is named by the environment variable that holds
it. Relative file paths (keys, certificates, inbox folders) are relative to the folder the
profiles are loaded from.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

_FINGERPRINT = r"^SHA256:[A-Za-z0-9+/]{43}=?$"


class SftpServer(BaseModel):
    """One SFTP server and how we log in; the host key is pinned by its SHA256 fingerprint."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    host: str
    port: int = Field(default=22, ge=1, le=65535)
    username: str
    password_env: str | None = Field(default=None, description="environment variable holding the password")
    key_file: str | None = Field(default=None, description="private key file (OpenSSH or PEM)")
    key_passphrase_env: str | None = None
    host_key_sha256: str = Field(pattern=_FINGERPRINT, description="as `ssh-keygen -lf` prints it")
    timeout_seconds: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _credentials(self) -> SftpServer:
        if not (self.password_env or self.key_file):
            raise ValueError("an SFTP server needs key_file or password_env")
        return self


class SftpPull(SftpServer):
    """Files we fetch from the partner's server."""

    remote_dir: str = "."
    patterns: list[str] = Field(default_factory=lambda: ["*"])
    ignore: list[str] = Field(default_factory=lambda: [".*", "*.tmp", "*.part", "*.filepart"])
    stable_seconds: float = Field(default=10, ge=0, description="unchanged size and mtime for this long")
    after: Literal["delete", "move"] = "delete"
    move_to: str | None = None
    poll_seconds: float = Field(default=300, gt=0)

    @model_validator(mode="after")
    def _move_target(self) -> SftpPull:
        if self.after == "move" and not self.move_to:
            raise ValueError("after = 'move' needs move_to")
        return self


class SftpPush(SftpServer):
    """Where we upload what we send: under a temporary name, then renamed."""

    remote_dir: str = "."
    temp_suffix: str = ".part"


class DropInbox(BaseModel):
    """A folder the partner uploads into on our own SFTP server (its chroot)."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    path: str
    patterns: list[str] = Field(default_factory=lambda: ["*"])
    ignore: list[str] = Field(default_factory=lambda: [".*", "*.tmp", "*.part", "*.filepart"])
    stable_seconds: float = Field(
        default=5, ge=0, description="unchanged this long = complete, for a file whose close was not seen"
    )
    stalled_seconds: float = Field(
        default=900,
        gt=0,
        description="held open for writing yet unchanged this long: reported in gateway status (never taken while open)",
    )
    poll_seconds: float = Field(default=30, gt=0)


class As2Link(BaseModel):
    """The partner's AS2 identity, certificate and endpoint, and what we require of its messages."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    as2_id: str = Field(min_length=1, max_length=128)
    url: str | None = Field(default=None, description="where we POST messages to the partner")
    certificate: str = Field(description="the partner's X.509 certificate (PEM): verifies and encrypts")
    sign: bool = True
    encrypt: bool = True
    compress: bool = False
    digest_alg: Literal["sha1", "sha224", "sha256", "sha384", "sha512"] = "sha256"
    encryption_alg: Literal["tripledes_192_cbc", "aes_128_cbc", "aes_192_cbc", "aes_256_cbc"] = "aes_256_cbc"
    mdn_mode: Literal["sync", "async"] = "sync"
    mdn_signed: bool = True
    mdn_url: str | None = Field(default=None, description="our URL for the partner's async MDNs")
    require_signed: bool = True
    require_encrypted: bool = True
    mdn_window_minutes: float = Field(default=30, gt=0, description="resend when no MDN came within")


class Delivery(BaseModel):
    """How our X12 documents leave for this partner; none means they wait in the outbox."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    via: Literal["sftp", "as2"]
    max_attempts: int = Field(default=8, ge=1)
    backoff_seconds: float = Field(default=60, gt=0)
    backoff_cap_seconds: float = Field(default=3600, gt=0)
