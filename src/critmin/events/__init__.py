"""The export-control registry: measures with validity in time, relations, history and the OECD inventory.

- :mod:`critmin.events.model`: fields, partial dates, vocabularies, validation of records and relations.
- :mod:`critmin.events.temporal`: in force on a date, following ``suspends`` / ``lifts`` / ``replaces``.
- :mod:`critmin.events.registry`: the registry in the store, append-only history, edits, as-recorded reads.
- :mod:`critmin.events.oecd`: the OECD inventory read, folded into intervals and linked to critmin events.
- :mod:`critmin.events.files`: CSV/JSON export and import with the registry's Frictionless schema.

``critmin.events(...)`` is the query function :func:`critmin.query.events`. Importing this package makes
``critmin.events`` refer to the package, so the package is made callable and forwards to that function.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    """The ``critmin.events`` package, callable as :func:`critmin.query.events`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from critmin.query import events

        return events(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
