"""Transports: SFTP and AS2 in and out, each behind the one-call interface its caller needs.

SFTP: ``sftp_pull.SftpPuller`` fetches from a partner's server, ``drop_inbox.DropWatcher``
takes what partners upload to ours, and ``sftp_push.SftpSender`` uploads what we send.

AS2 (pyas2lib): ``as2_inbox.As2Inbox`` takes what partners post to ``gateway.web.as2`` (decrypt,
verify, store, then MDN), ``as2_send.As2Sender`` signs, encrypts and posts what we send and
checks its MDN, and ``as2_identity.As2Identity`` is us. ``_oscrypto_compat`` must be imported
before pyas2lib.
"""
