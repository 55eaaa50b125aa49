"""Fixtures of the risk tests: the built store, and geopolrisk-py 2.0.1 as a reference (slow to load)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reference: compares with geopolrisk-py 2.0.1 (loads its bundled databases, about a minute)",
    )


@pytest.fixture(scope="session")
def gpr_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """geopolrisk-py's modules and inputs; HOME points at a temp dir (it writes ~/Documents/geopolrisk)."""
    if os.environ.get("CRITMIN_SKIP_REFERENCE"):
        pytest.skip("CRITMIN_SKIP_REFERENCE is set")
    pytest.importorskip("geopolrisk", reason="geopolrisk-py (dev extra) not installed")
    home = tmp_path_factory.mktemp("gpr_home")
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        from gpr_reference import load_reference

        yield load_reference()
    finally:
        if previous is not None:
            os.environ["HOME"] = previous
