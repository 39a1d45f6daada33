"""Real servers on 127.0.0.1 for the tests and the benchmarks: PostgreSQL, sshd, Dovecot, SMTP, an AS2 peer, an ERP, a browser, a scaled-out gateway."""
