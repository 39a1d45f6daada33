"""`gateway run`: the web server, the pollers and the worker, as one supervised process tree.

The parent starts one child process per role and restarts a child that dies, with a growing
delay. SIGTERM (or SIGINT) is passed to every child; each finishes the unit in hand (a
request, a file, a document) and exits; a child still busy after the grace period is killed,
which the store-before-acknowledge rule makes safe. Settings come from the environment:

- ``GATEWAY_HOST`` / ``GATEWAY_PORT``: where the web server listens (127.0.0.1:8080);
- ``GATEWAY_WORKER_SECONDS``: pause between worker passes (5);
- ``GATEWAY_SHUTDOWN_SECONDS``: grace period on SIGTERM (30);
- poll schedules: each profile's ``poll_seconds``, and ``GATEWAY_IMAP_POLL_SECONDS``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from multiprocessing.process import BaseProcess
from types import FrameType

from gateway.config import RunSettings

log = logging.getLogger(__name__)
PROCESS_ROLES = ("web", "pollers", "worker")
_MAX_RESTART_DELAY = 60.0


@dataclass(slots=True)
class _Child:
    role: str
    process: BaseProcess
    started: float
    restarts: int = 0
    restart_at: float | None = None


@dataclass(slots=True)
class Supervisor:
    roles: Sequence[str]
    settings: RunSettings
    children: dict[str, _Child] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> int:
        """Migrate the store, start the children and watch them until SIGTERM/SIGINT; returns the exit code."""
        from gateway.config import migrate_from_environment

        migrate_from_environment()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        context = multiprocessing.get_context("spawn")
        for role in self.roles:
            self.children[role] = _Child(role, self._start(context, role), time.monotonic())
        log.info(
            "gateway running: %s",
            ", ".join(f"{c.role} (pid {c.process.pid})" for c in self.children.values()),
        )
        while not self.stop.wait(0.5):
            for child in self.children.values():
                self._watch(context, child)
        return self._shut_down()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.stop.set()

    def _start(self, context: multiprocessing.context.SpawnContext, role: str) -> BaseProcess:
        process = context.Process(target=run_role, args=(role, self.settings), name=f"gateway-{role}")
        process.start()
        return process

    def _watch(self, context: multiprocessing.context.SpawnContext, child: _Child) -> None:
        now = time.monotonic()
        if child.process.is_alive():
            if child.restarts and now - child.started > _MAX_RESTART_DELAY:
                child.restarts = 0  # it has stayed up: the next crash restarts quickly again
            return
        if child.restart_at is None:
            delay = min(2.0**child.restarts, _MAX_RESTART_DELAY)
            log.error("%s exited with %s; restarting in %.0f s", child.role, child.process.exitcode, delay)
            child.restart_at = now + delay
        elif now >= child.restart_at:
            child.process = self._start(context, child.role)
            child.started, child.restart_at, child.restarts = now, None, child.restarts + 1

    def _shut_down(self) -> int:
        for child in self.children.values():
            if child.process.is_alive() and child.process.pid is not None:
                os.kill(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.shutdown_seconds
        for child in self.children.values():
            child.process.join(max(deadline - time.monotonic(), 0.1))
        code = 0
        for child in self.children.values():
            if child.process.is_alive():
                log.error(
                    "%s did not stop within %.0f s: killing it", child.role, self.settings.shutdown_seconds
                )
                child.process.kill()
                child.process.join()
                code = 1
        log.info("gateway stopped")
        return code


def run_role(role: str, settings: RunSettings) -> None:
    """A child's body: stop on SIGTERM between units of work."""
    from gateway.run import roles  # imported in the child: the parent stays small

    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {role} %(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; a terminal's ^C reaches it too
    roles.ROLE_BODIES[role](settings)
