"""What a long-running process (pollers, a worker) loads before its first document, beside the X12
maps and master data (``Pipeline.warm_up``): the readers of every format and the schemas of the
pydantic models, every emitter and the store's modules. All are otherwise loaded by the first document that needs them (``gateway
ingest`` and ``--help`` start faster so), which cost a fresh `gateway worker` about 1 s of CPU
over its first documents."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from pydantic import BaseModel

import emitters
import parsers
import partners
import validators
from gateway import storage

_OURS = ("gateway.", "parsers.", "partners.", "validators.", "emitters.")
# What the pipeline imports where it is first used, as an X12 ingest answered by a 997 never does:
# the reading of an unknown sender's X12, and the replies to orders that came by email, PDF or sheet.
RARE = ("gateway.inbound.provisional", "gateway.outbound.replies")


def load_exports() -> None:
    """Import every export of the lazy front doors (``gateway._lazy``) a document goes through: each
    format's reader with the library it reads with, every emitter, the store's modules, the
    validators and the partner profiles' modules, so one added there is warmed up too."""
    for package in (parsers, emitters, storage, validators, partners):
        for name in dir(package):
            getattr(package, name)


def load_rare() -> None:
    """Import what the pipeline imports only when a document first needs it (``RARE``)."""
    for module in RARE:
        importlib.import_module(module)


def _models(cls: type[BaseModel] = BaseModel) -> Iterator[type[BaseModel]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _models(sub)


def complete_models() -> int:
    """Build the schema of each of our pydantic models loaded so far (they are ``defer_build``);
    returns how many were built."""
    deferred = {m for m in _models() if m.__module__.startswith(_OURS) and not m.__pydantic_complete__}
    for model in deferred:
        model.model_rebuild(raise_errors=False)
    return len(deferred)
