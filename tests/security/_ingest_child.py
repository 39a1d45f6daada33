"""Child process of the bounded-memory tests: ``gateway ingest --json PATH``, then this process's own peak RSS.

``python -m tests.security._ingest_child PATH`` runs the real command line (its store is
``$GATEWAY_HOME``) and prints its JSON report, then ``{"peak_rss_mb": ...}``: the VmHWM of this
process alone, which a pytest parent's own memory does not inflate.
"""

from __future__ import annotations

import json
import sys

from bench._memory import peak_rss_mb
from gateway.cli.commands import main as gateway


def main(path: str) -> None:
    try:
        gateway(["ingest", "--json", path], standalone_mode=False)
    finally:
        print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
