"""``POST /api/imports/{kind}``: refresh the store from an official file sent as the request body (token required).

The endpoint calls :func:`critmin.data.imports.run_import`, the function behind ``critmin import``, and answers
the same summary as ``critmin import … --format json``. The body (the raw CSV, not a multipart form) is
streamed to a file named ``filename`` in a private temporary directory, removed after the import, and refused
(413) beyond ``$CRITMIN_WEB_MAX_IMPORT_BYTES`` (default 256 MiB). BACI trade files are read with the country
codes embedded in the data package, since one body holds one file.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from critmin.data.importers import ImportFormatError
from critmin.data.imports import EMBEDDED_BACI_COUNTRIES, TABLES, run_import
from critmin.store import Store, StoreError, StoreLockedError
from critmin.vocab import UnknownNameError
from critmin.web.api import ErrorBody, require_token

router = APIRouter(prefix="/api/imports", tags=["imports"])

#: default cap on the size of an uploaded file, in bytes
MAX_IMPORT_BYTES = 256 << 20
MEDIA_TYPES = ("text/csv", "application/octet-stream")


class ImportResult(BaseModel):
    """What an import changed (or, in a dry run, would change): the fields of ``critmin import --format json``."""

    table: str = Field(description="the store table written: usgs_mcs, baci_trade or wgi")
    replace: Literal["none", "years", "all"]
    key: list[str] = Field(description="the table's primary key")
    added: int
    updated: int
    removed: int
    unchanged: int
    skipped: int = Field(description="rows of the file left out")
    skipped_reasons: dict[str, int] = Field(description="reason → number of rows skipped for it")
    dry_run: bool
    files: list[str]
    store: str = Field(description="the store file on the server")


class FileError(ErrorBody):
    """A file the importer refused: where (file, line, column) and why."""

    file: str | None = None
    line: int | None = None
    column: str | None = None


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no or wrong token"},
    404: {"model": ErrorBody, "description": "unknown kind of import (with suggestions)"},
    413: {"model": ErrorBody, "description": "the file is larger than the server accepts"},
    415: {"model": ErrorBody, "description": "the body is not text/csv or application/octet-stream"},
    422: {
        "model": FileError,
        "description": "malformed file (names file, line and column), unknown name, or invalid parameter",
    },
    503: {"model": ErrorBody, "description": "the store is locked by another process"},
}
BODY = {
    "required": True,
    "description": "the official file as is (USGS MCS world CSV, BACI HS92 yearly CSV, WGI DataBank CSV)",
    "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES},
}


def max_import_bytes() -> int:
    """The largest body accepted: ``$CRITMIN_WEB_MAX_IMPORT_BYTES`` or :data:`MAX_IMPORT_BYTES`."""
    raw = os.environ.get("CRITMIN_WEB_MAX_IMPORT_BYTES", "").strip()
    return int(raw) if raw.isdigit() else MAX_IMPORT_BYTES


def _too_large(limit: int) -> StarletteHTTPException:
    return StarletteHTTPException(413, f"the file is larger than this server accepts ({limit:,} bytes)")


async def _save_body(request: Request, path: Path) -> None:
    """Stream the request body to ``path``, refusing (413) a body over :func:`max_import_bytes`."""
    limit = max_import_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    size = 0
    with path.open("wb") as fh:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            fh.write(chunk)


@router.post(
    "/{kind}",
    response_model=ImportResult,
    responses=RESPONSES,
    dependencies=[Depends(require_token)],
    openapi_extra={"requestBody": BODY},
)
async def import_file(
    request: Request,
    kind: Annotated[str, PathParam(description="usgs-mcs, baci or wgi")],
    filename: Annotated[
        str,
        Query(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.[cC][sS][vV]$",
            description="the file's name, recorded as the import's origin (BACI: its version, e.g. "
            "BACI_HS92_Y2022_V202401b.csv)",
            examples=["WGI_DataBank_Data.csv"],
        ),
    ],
    replace: Annotated[
        Literal["none", "years", "all"],
        Query(description="none: upsert by key; years: also remove the files' years; all: replace the table"),
    ] = "none",
    dry_run: Annotated[bool, Query(description="count the changes, write nothing")] = False,
    edition: Annotated[
        str | None, Query(description="BACI version or WGI edition (default: from the file)")
    ] = None,
    released: Annotated[
        date | None, Query(description="WGI release date, for a file without its footer")
    ] = None,
    commodity: Annotated[str | None, Query(description="USGS MCS 2024 chapter a file name lacks")] = None,
) -> ImportResult | JSONResponse:
    """Import one official file into the store in one transaction, as ``critmin import KIND FILE`` does."""
    if kind not in TABLES:
        raise UnknownNameError("import kind", kind, difflib.get_close_matches(kind, TABLES) or list(TABLES))
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise StarletteHTTPException(
            415, f"send the file as {' or '.join(MEDIA_TYPES)}, not {media or 'nothing'}"
        )
    with tempfile.TemporaryDirectory(prefix="critmin-import-") as folder:  # created private (0700)
        path = Path(folder) / filename
        await _save_body(request, path)
        options: dict[str, Any] = {"edition": edition}
        if kind == "baci":
            options["country_codes"] = EMBEDDED_BACI_COUNTRIES
        elif kind == "wgi":
            options["released"] = released
        else:
            options = {"commodity": commodity}
        store = Store.open()
        try:
            summary = await run_in_threadpool(
                run_import, kind, [path], replace=replace, dry_run=dry_run, store=store, **options
            )
        except ImportFormatError as exc:
            body = FileError(
                code="invalid_file", message=str(exc), file=exc.file, line=exc.line, column=exc.column
            )
            return JSONResponse(body.model_dump(exclude_none=True), status_code=422)
        except UnknownNameError as exc:
            body = FileError(code="unknown_name", message=str(exc), suggestions=exc.suggestions or None)
            return JSONResponse(body.model_dump(exclude_none=True), status_code=422)
        except StoreLockedError:
            raise
        except StoreError as exc:
            return JSONResponse(
                FileError(code="import_refused", message=str(exc)).model_dump(exclude_none=True), 422
            )
    return ImportResult(**summary.as_dict(), files=[filename], store=str(store.path))
