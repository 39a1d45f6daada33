"""The SFTP pull benchmark runs (on 20 files here) and every file ends up stored and gone from the server."""

from __future__ import annotations

import os

import pytest

from bench import sftp_pull


def test_sftp_pull_benchmark_stores_every_file() -> None:
    if os.geteuid() != 0:
        pytest.skip("the sshd harness needs root for chroots and OS users (CI runs as root)")
    report = sftp_pull.run(files=20)
    assert report.new_documents == 20 and report.left_on_server == 0
    assert report.puller_seconds > 0 and report.baseline_seconds > 0 and report.store_seconds > 0
    lines = report.lines()
    assert "20 files (10 X12 850s" in lines[0] and "files/s" in lines[1] and "MB/s" in lines[2]
    assert "ratio SftpPuller / paramiko getfo" in lines[4] and "0 files left on the server" in lines[5]
