"""A gateway process that dies (SIGKILL) the moment it would delete a pulled file on the server.

``python -m tests.workers.sftp_worker DATABASE_URL PROFILE_JSON``: one ``SftpPuller.poll_once`` whose
first remote delete kills the process, as a crash between the store and the delete would.
"""

from __future__ import annotations

import os
import signal
import sys

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.transports._sftp_connect import SftpConnection
from gateway.transports._sftp_connect import open_sftp
from gateway.transports.sftp_pull import SftpPuller
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import SftpServer
from tests.conftest import FIXED_NOW


def _die(path: str) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _dying_connect(server: SftpServer) -> SftpConnection:
    connection = open_sftp(server)
    connection.sftp.remove = _die  # type: ignore[method-assign,assignment]  # a test double in paramiko's place
    return connection


def main(url: str, profile_json: str) -> None:
    profile = PartnerProfile.model_validate_json(profile_json)
    engine = storage.make_engine(url)
    pipeline = Pipeline(storage.make_sessionmaker(engine), PartnerRegistry.from_directory(), validate=False)
    SftpPuller(profile, pipeline, clock=lambda: FIXED_NOW, connect=_dying_connect).poll_once()
    raise SystemExit("the poll finished without deleting anything")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
