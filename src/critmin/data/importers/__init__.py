"""Parsers of the official data files (USGS MCS, CEPII BACI, World Bank WGI) into critmin's store schemas.

Each reader is pure: it streams a file, returns its rows in the schema of one store table (see
``docs/ARCHITECTURE.md``; a DataFrame, or an Arrow table for BACI's millions of rows) checked against the
constraints the data package declares, and raises :class:`ImportFormatError` naming file, line and column when
the file is malformed, cut off or breaks a constraint, so users can refresh the embedded data safely.
"""

from critmin.data.importers.baci import read_baci, read_baci_countries, read_baci_table
from critmin.data.importers.errors import ImportFormatError
from critmin.data.importers.usgs_mcs import read_usgs_mcs
from critmin.data.importers.wgi import read_wgi_databank

__all__ = [
    "ImportFormatError",
    "read_baci",
    "read_baci_countries",
    "read_baci_table",
    "read_usgs_mcs",
    "read_wgi_databank",
]
