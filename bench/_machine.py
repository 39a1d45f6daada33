"""Facts about the machine and the checkout a benchmark report was measured on."""

from __future__ import annotations

import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The distributions whose speed the figures depend on, as pip names them.
LIBRARIES = (
    "pyx12",
    "SQLAlchemy",
    "psycopg",
    "procrastinate",
    "pdfplumber",
    "openpyxl",
    "paramiko",
    "pyas2lib",
)


@dataclass(frozen=True, slots=True)
class Checkout:
    """The git commit measured, and the tracked files that differed from it."""

    commit: str
    short: str
    changed: tuple[str, ...]

    @property
    def dirty(self) -> bool:
        return bool(self.changed)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else ""


def checkout() -> Checkout:
    """HEAD and the tracked files changed in the work tree ("unknown" outside a git checkout)."""
    commit = _git("rev-parse", "HEAD").strip() or "unknown"
    short = _git("rev-parse", "--short", "HEAD").strip() or "unknown"
    status = _git("status", "--porcelain", "--untracked-files=no")
    return Checkout(commit, short, tuple(line[3:] for line in status.splitlines() if line.strip()))


def _proc(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu() -> str:
    """CPU model and logical CPU count, from /proc/cpuinfo."""
    info = _proc("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")]
    count = sum(line.startswith("processor") for line in info.splitlines())
    model = models[0] if models else platform.processor() or platform.machine()
    return f"{model}, {count or '?'} logical CPUs"


def memory() -> str:
    """Total RAM from /proc/meminfo, in GiB."""
    for line in _proc("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    return "unknown"


def load() -> str:
    """The 1, 5 and 15 minute load averages, from /proc/loadavg: is someone else using the cores?"""
    fields = _proc("/proc/loadavg").split()
    return " / ".join(fields[:3]) if len(fields) >= 3 else "unknown"


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def facts() -> dict[str, str]:
    """The machine facts of a report, in the order it lists them."""
    return {
        "CPU": cpu(),
        "RAM": memory(),
        "load average at the start (1/5/15 min)": load(),
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        **library_versions(),
    }
