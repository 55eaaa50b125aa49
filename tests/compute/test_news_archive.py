"""News archives in partitions: every article read once, the same table in-process, in a process pool, on a
``LocalCluster`` and through the command, equal to ``critmin news extract --format json`` flattened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.compute import PartitionDir, PartitionError, Target, run_units
from critmin.events import archive
from critmin.events.newsfile import Article, read_articles

DATA = Path(__file__).parents[1] / "events" / "data"
runner = CliRunner()


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A JSON-lines shard with a bad line, a second JSON-lines shard and a Parquet shard of two row groups."""
    folder = tmp_path_factory.mktemp("archive")
    dev = (DATA / "news_dev.jsonl").read_bytes()
    first = folder / "a.jsonl"
    first.write_bytes(dev + b"{not json\n" + (DATA / "news_heldout.jsonl").read_bytes())
    second = folder / "b.jsonl"
    second.write_bytes(dev[:20_000].rsplit(b"\n", 1)[0] + b"\n")
    rows = [json.loads(line) for line in (DATA / "news_heldout.jsonl").read_text().splitlines()]
    third = folder / "c.parquet"
    pq.write_table(
        pa.table({k: [r.get(k) for r in rows] for k in ("text", "url", "published")}),
        third,
        row_group_size=20,
    )
    return [str(first), str(second), str(third)]


def _table(parts: list[archive.Part], target: Target) -> pa.Table:
    results = dict(run_units(archive.extract_part, parts, None, target))
    return pa.concat_tables(results[i].table for i in range(len(parts)))


def _flattened(items: list[tuple[str, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """(url, event number, fields) of ``news extract --format json`` records."""
    out = []
    for _, record in items:
        for n, e in enumerate(record["events"]):
            target = [e["target"]] if isinstance(e["target"], str) else e["target"]
            out.append((record["url"], n, e["country"], e["measure"], e["commodities"], target, e["effective"],
                        e["status_change"], e["confidence"], e["evidence"]["start"], e["evidence"]["end"]))  # fmt: skip
    return out


def test_byte_ranges_read_every_line_once(shards: list[str]) -> None:
    parts = archive.plan(shards[:1], block_bytes=4096)
    assert len(parts) > 10
    read = [item for p in parts for _, item in archive.read_part(p)]
    expected = list(read_articles(Path(shards[0])))
    assert [a.url for a in read if isinstance(a, Article)] == [
        a.url for a in expected if isinstance(a, Article)
    ]
    assert sum(not isinstance(a, Article) for a in read) == 1


def test_local_pool_and_cluster_give_the_same_table_as_news_extract(shards: list[str], cluster: Any) -> None:
    parts = archive.plan(shards, block_bytes=8192)
    local = _table(parts, Target())
    assert local.schema == archive.SCHEMA
    assert local.equals(_table(parts, Target(processes=2)))
    assert local.equals(_table(parts, Target(scheduler=cluster.scheduler_address)))
    printed = []
    for shard in shards[:2]:
        result = runner.invoke(app, ["news", "extract", shard, "--format", "json"])
        printed += [(shard, json.loads(line)) for line in result.stdout.splitlines()]
    jsonl_rows = local.filter(pa.compute.invert(pa.compute.ends_with(local["shard"], ".parquet")))
    mine = [tuple(r.values())[2:] for r in jsonl_rows.to_pylist()]
    assert mine == _flattened(printed)
    assert local.num_rows > 100


def test_partitions_are_skipped_when_complete_and_other_runs_refused(
    shards: list[str], tmp_path: Path
) -> None:
    parts = archive.plan(shards[1:2], block_bytes=4096)
    pdir = PartitionDir(tmp_path, archive.fingerprint(parts), len(parts))
    pdir.prepare({})
    (tmp_path / ".part-00000.parquet.tmp-1-dead").write_bytes(b"half")
    pdir.prepare({})
    assert not list(tmp_path.glob(".part-*"))
    pdir.write(0, archive.extract_part(None, parts[0]).table)
    assert pdir.missing() == list(range(1, len(parts)))
    with pytest.raises(PartitionError, match="another run"):
        PartitionDir(tmp_path, "other", len(parts)).prepare({})


def test_command_writes_the_same_partitions_locally_and_on_the_cluster(
    shards: list[str], cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "BLOCK_BYTES", 16_384)
    local, remote = tmp_path / "local", tmp_path / "remote"
    first = runner.invoke(app, ["news", "extract", *shards, "--out", str(local)])
    assert first.exit_code == 2, first.output  # the bad line is named and counted
    assert f"skipped {shards[0]} at " in first.stderr and "malformed JSON" in first.stderr
    second = runner.invoke(app, ["news", "extract", *shards, "--out", str(remote), "--scheduler", cluster.scheduler_address])  # fmt: skip
    assert second.exit_code == 2, second.output
    assert pq.read_table(local).equals(pq.read_table(remote))
    (remote / "part-00001.parquet").unlink()
    again = runner.invoke(app, ["news", "extract", *shards, "--out", str(remote), "--local-cluster", "1"])
    assert "wrote 1 of" in again.stderr
    assert pq.read_table(local).equals(pq.read_table(remote))


def _memory_url() -> str:
    import uuid

    return f"memory://critmin-test-{uuid.uuid4().hex[:8]}/out"


def test_partitions_in_an_fsspec_folder(shards: list[str]) -> None:
    """On ``memory://`` (no rename): written whole under the final name, skipped when complete, other runs
    refused, an unreadable partition recomputed."""
    import fsspec

    url = _memory_url()
    fs = fsspec.filesystem("memory")
    parts = archive.plan(shards[1:2], block_bytes=4096)
    pdir = PartitionDir(url, archive.fingerprint(parts), len(parts))
    pdir.prepare({"test": True})
    assert json.loads(fs.cat_file(f"{pdir.root}/_manifest.json"))["test"] is True
    table = archive.extract_part(None, parts[0]).table
    pdir.write(0, table)
    pdir.write(1, table)
    fs.pipe_file(pdir.path(1), b"PAR1 cut short")  # what a store that showed partial objects would leave
    assert pdir.missing() == list(range(1, len(parts)))
    assert pdir.read_partition(0).replace_schema_metadata(None).equals(table)
    assert [p.rsplit("/", 1)[1] for p in fs.ls(pdir.root, detail=False)] == ["_manifest.json", "part-00000.parquet", "part-00001.parquet"]  # fmt: skip
    with pytest.raises(PartitionError, match="another run"):
        PartitionDir(url, "other", len(parts)).prepare({})
    fs.rm(pdir.root, recursive=True)


def test_command_writes_to_fsspec_urls(
    shards: list[str], cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``memory://`` in this process and ``file://`` from the cluster give the partitions of a local folder."""
    import fsspec

    monkeypatch.setattr(archive, "BLOCK_BYTES", 16_384)
    local = tmp_path / "local"
    assert runner.invoke(app, ["news", "extract", *shards, "--out", str(local)]).exit_code == 2
    url = _memory_url()
    memory = runner.invoke(app, ["news", "extract", *shards, "--out", url])
    assert memory.exit_code == 2 and f"partitions to {url} (" in memory.stderr, memory.output
    fs, root = fsspec.core.url_to_fs(url)
    names = sorted(p.rsplit("/", 1)[1] for p in fs.glob(f"{root}/part-*.parquet"))
    assert names == sorted(p.name for p in local.glob("part-*.parquet"))
    for name in names:
        with fs.open(f"{root}/{name}", "rb") as handle:
            assert pq.read_table(handle).equals(pq.read_table(local / name))
    again = runner.invoke(app, ["news", "extract", *shards, "--out", url])
    assert f"wrote 0 of {len(names)}" in again.stderr and "already complete" in again.stderr
    fs.rm(root, recursive=True)
    remote = tmp_path / "remote"
    on_cluster = runner.invoke(app, ["news", "extract", *shards, "--out", remote.as_uri(), "--scheduler", cluster.scheduler_address])  # fmt: skip
    assert on_cluster.exit_code == 2, on_cluster.output
    assert pq.read_table(local).equals(pq.read_table(remote))
    assert not list(remote.glob(".*"))  # no temporaries left
