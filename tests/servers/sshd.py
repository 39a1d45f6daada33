"""The real OpenSSH sshd the SFTP tests talk to: the launcher in bench/_sshd.py, shared with the bench.

It needs root (a chroot per user, OS users ``gwtest-remote`` and ``gwtest-acme``). CI runs as
root, so there a server that cannot start fails the test; only a developer without root skips.
"""

from __future__ import annotations

import os

import pytest

from bench._sshd import DROP_USER as DROP_USER
from bench._sshd import PASSWORD as PASSWORD
from bench._sshd import REMOTE_USER as REMOTE_USER
from bench._sshd import Sshd as Sshd


def start_sshd() -> Sshd:
    if os.geteuid() != 0:
        pytest.skip("the sshd harness needs root for chroots and OS users (CI runs as root)")
    return Sshd().start()
