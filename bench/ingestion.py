"""Benchmark: documents per second from export files and from MongoDB into the raw tables.

Export files: the demo exports are read, validated and upserted into a fresh
DuckDB file through the same code the raw assets run (without Dagster's step
overhead). MongoDB: the same exports are inserted into an nx-27017 server on
127.0.0.1, then the MongoDB source plus the loader is timed against a bare
pymongo cursor over the same collection; the ratio is what the source costs
on top of reading.

Usage:
    .venv/bin/python bench/ingestion.py                      # 100k-moment demo in a temp dir
    .venv/bin/python bench/ingestion.py --export-dir data/demo --skip-mongo
"""

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import bson.json_util
import duckdb
import pymongo
from tqdm import tqdm

from moment_pipelines.demo import generate
from moment_pipelines.ingest.load import load_collection
from moment_pipelines.ingest.schema import COLLECTIONS
from moment_pipelines.resources.export_files import find_export_file, read_export_file
from moment_pipelines.resources.sources import MongoSource

EXPORT_TARGET_DOCS_PER_SECOND = 200_000
MONGO_TARGET_RATIO = 0.8
MONGO_INSERT_BATCH = 10_000


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    return con


def bench_export(export_dir: Path, work_dir: Path) -> dict[str, tuple[int, float]]:
    """Load every collection from files; return {collection: (documents, seconds)}."""
    results = {}
    con = connect(work_dir / "export.duckdb")
    for spec in COLLECTIONS.values():
        started = time.perf_counter()
        stats = load_collection(
            con,
            spec,
            read_export_file(find_export_file(export_dir, spec.name)),
            since=None,
            loaded_at=datetime.now(timezone.utc),
            run_id="bench",
        )
        results[spec.name] = (stats.read, time.perf_counter() - started)
    con.close()
    return results


def fill_mongo(uri: str, export_dir: Path) -> None:
    with pymongo.MongoClient(uri) as client:
        database = client.get_default_database()
        for spec in COLLECTIONS.values():
            database.drop_collection(spec.name)
            batch = []
            for source_batch in tqdm(read_export_file(find_export_file(export_dir, spec.name)), desc=f"写入 {spec.name}"):
                for text in source_batch.documents:
                    batch.append(bson.json_util.loads(text))
                    if len(batch) >= MONGO_INSERT_BATCH:
                        database[spec.name].insert_many(batch, ordered=False)
                        batch = []
            if batch:
                database[spec.name].insert_many(batch, ordered=False)


def bench_mongo(uri: str, work_dir: Path) -> dict[str, tuple[int, float, float, float]]:
    """Return {collection: (documents, source seconds, bare cursor seconds, sorted bare cursor seconds)}.

    The source sorts by `_id` so that it can resume after a dropped cursor.
    The sorted bare cursor shows how much of the source's cost is that sort.
    """
    results = {}
    con = connect(work_dir / "mongo.duckdb")
    source = MongoSource(uri=uri)
    with pymongo.MongoClient(uri, tz_aware=True) as client:
        database = client.get_default_database()
        for spec in COLLECTIONS.values():
            projection = {key: 1 for key in spec.top_level_keys}
            started = time.perf_counter()
            bare = sum(1 for _ in database[spec.name].find({}, projection).batch_size(source.batch_size))
            bare_seconds = time.perf_counter() - started

            started = time.perf_counter()
            sorted_cursor = database[spec.name].find({"_id": {"$exists": True}}, projection).sort("_id", pymongo.ASCENDING)
            sum(1 for _ in sorted_cursor.batch_size(source.batch_size))
            sorted_seconds = time.perf_counter() - started

            started = time.perf_counter()
            stats = load_collection(
                con,
                spec,
                source.read_documents(spec, None),
                since=None,
                loaded_at=datetime.now(timezone.utc),
                run_id="bench",
            )
            source_seconds = time.perf_counter() - started
            if stats.read != bare:
                raise RuntimeError(f"{spec.name}：数据源读到 {stats.read} 条，裸游标读到 {bare} 条，两者应相等")
            results[spec.name] = (stats.read, source_seconds, bare_seconds, sorted_seconds)
    con.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="测量从导出文件和 MongoDB 写入 raw 表的吞吐量（文档/秒）")
    parser.add_argument("--export-dir", type=Path, help="已有的导出目录；不指定时在临时目录生成演示数据")
    parser.add_argument("--moments", type=int, default=100_000, help="生成演示数据时的动态条数")
    parser.add_argument("--skip-mongo", action="store_true", help="跳过 MongoDB（nx-27017）部分")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        work_dir = Path(temporary)
        export_dir = arguments.export_dir
        if export_dir is None:
            export_dir = work_dir / "demo"
            generate(export_dir, n_moments=arguments.moments)

        export = bench_export(export_dir, work_dir)
        total_documents = sum(documents for documents, _ in export.values())
        total_seconds = sum(seconds for _, seconds in export.values())
        print("\n导出文件 → raw 表")
        print("| 集合 | 文档数 | 秒 | 文档/秒 |")
        print("|---|---|---|---|")
        for name, (documents, seconds) in export.items():
            print(f"| {name} | {documents} | {seconds:.2f} | {documents / seconds:,.0f} |")
        rate = total_documents / total_seconds
        print(f"| 合计 | {total_documents} | {total_seconds:.2f} | {rate:,.0f} |")
        print(f"目标 {EXPORT_TARGET_DOCS_PER_SECOND:,} 文档/秒，实测/目标 = {rate / EXPORT_TARGET_DOCS_PER_SECOND:.2f}")

        if arguments.skip_mongo:
            return
        # The test suite's nx-27017 helper is not installed with the package, so import it from the checkout.
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from moment_pipelines_tests.mongo_server import running_mongo

        with running_mongo(work_dir) as server:
            fill_mongo(server.uri, export_dir)
            mongo = bench_mongo(server.uri, work_dir)
        print("\nMongoDB（nx-27017）→ raw 表")
        print("| 集合 | 文档数 | 数据源+加载 秒 | 裸游标 秒 | 按 _id 排序的裸游标 秒 | 比值（裸游标/数据源） |")
        print("|---|---|---|---|---|---|")
        for name, (documents, source_seconds, bare_seconds, sorted_seconds) in mongo.items():
            print(
                f"| {name} | {documents} | {source_seconds:.2f} | {bare_seconds:.2f} | {sorted_seconds:.2f} "
                f"| {bare_seconds / source_seconds:.2f} |"
            )
        source_total = sum(row[1] for row in mongo.values())
        bare_total = sum(row[2] for row in mongo.values())
        sorted_total = sum(row[3] for row in mongo.values())
        print(f"合计比值 {bare_total / source_total:.2f}（目标至少 {MONGO_TARGET_RATIO}）；排序的裸游标 / 数据源 = {sorted_total / source_total:.2f}")
        print(json.dumps({"export_docs_per_second": round(rate), "mongo_ratio": round(bare_total / source_total, 3)}))


if __name__ == "__main__":
    main()
