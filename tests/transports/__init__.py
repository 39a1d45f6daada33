"""AS2, SFTP and IMAP against real servers on 127.0.0.1."""
