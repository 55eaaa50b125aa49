"""The store tables of news monitoring: articles, proposals (resolved candidates) and the alert log.

critmin creates them at run time in the user's store; they are user work. Every write that adds rows also
adds a line to the store's ``imports`` log, so a store holding them is never rebuilt from the package behind
the user's back (``critmin db build`` still resets it, as for any import).
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from critmin.store import Store

TABLES: dict[str, str] = {
    "news_articles": """
        article_id VARCHAR PRIMARY KEY, url VARCHAR, title VARCHAR, published VARCHAR, text VARCHAR,
        content_hash VARCHAR NOT NULL, origin VARCHAR, ingested_at VARCHAR, source VARCHAR NOT NULL""",
    "news_proposals": """
        proposal_id VARCHAR PRIMARY KEY, article_id VARCHAR, url VARCHAR, kind VARCHAR, event_id VARCHAR,
        status VARCHAR, confidence DOUBLE, evidence VARCHAR, candidate VARCHAR, record VARCHAR, reason VARCHAR,
        created_at VARCHAR, decided_at VARCHAR, decided_by VARCHAR, result_event_id VARCHAR,
        source VARCHAR NOT NULL""",
    "news_alerts": """
        alert_key VARCHAR PRIMARY KEY, proposal_id VARCHAR, created_at VARCHAR, alert VARCHAR,
        source VARCHAR NOT NULL""",
}


def now() -> str:
    """The current UTC time as ISO text (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the news tables that are missing (on a write connection)."""
    for name, columns in TABLES.items():
        con.execute(f"create table if not exists {name} ({columns})")


def log_import(con: duckdb.DuckDBPyConnection, table: str, origin: str, rows: int) -> None:
    """Record a write in the store's ``imports`` log (keeps the store from being rebuilt)."""
    con.execute("insert into imports values (?, ?, ?, ?)", [table, origin, rows, now()])


def has_table(store: Store, table: str) -> bool:
    """True if the store has ``table`` (news tables exist only once something was written)."""
    found = store.query("select count(*) as n from information_schema.tables where table_name = ?", [table])
    return bool(found["n"].iloc[0])


def read(store: Store, table: str, sql: str = "", params: list[object] | None = None) -> pd.DataFrame:
    """``select * from table`` + ``sql`` (where/order), empty with the table's columns if it does not exist."""
    if not has_table(store, table):
        cols = [c.strip().split()[0] for c in TABLES[table].split(",")]
        return pd.DataFrame(columns=cols)
    return store.query(f"select * from {table} {sql}", params or [])
