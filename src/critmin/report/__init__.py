"""The self-contained HTML brief of a commodity (``critmin brief``).

Import :mod:`critmin.report.brief` for :func:`~critmin.report.brief.build_brief` and
:func:`~critmin.report.brief.write_brief`; this package itself imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmin.report.brief import Brief, build_brief, write_brief

__all__ = ["Brief", "build_brief", "write_brief"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from critmin.report import brief

        return getattr(brief, name)
    raise AttributeError(f"module 'critmin.report' has no attribute {name!r}")
