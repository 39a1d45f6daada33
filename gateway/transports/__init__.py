"""Transports: SFTP and AS2 in and out, each behind the one-call interface its caller needs.

SFTP: ``sftp_pull.SftpPuller`` fetches from a partner's server, ``drop_inbox.DropWatcher``
takes what partners upload to ours, and ``sftp_push.SftpSender`` uploads what we send.
"""
