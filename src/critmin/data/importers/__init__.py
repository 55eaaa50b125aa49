"""Parsers of the official data files (USGS MCS, CEPII BACI, World Bank WGI) into critmin's store schemas.

Each reader is pure: it takes a path, returns a DataFrame in the schema of one store table (see
``docs/ARCHITECTURE.md``) and raises :class:`ImportFormatError` naming file, line and column when the file is
malformed, so users can refresh the embedded data from newer official releases.
"""

from critmin.data.importers.baci import read_baci, read_baci_countries
from critmin.data.importers.errors import ImportFormatError
from critmin.data.importers.usgs_mcs import read_usgs_mcs
from critmin.data.importers.wgi import read_wgi_databank

__all__ = [
    "ImportFormatError",
    "read_baci",
    "read_baci_countries",
    "read_usgs_mcs",
    "read_wgi_databank",
]
