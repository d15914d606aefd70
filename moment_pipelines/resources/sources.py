"""Document sources: a MongoDB server or a directory of export files.

Both resources implement `MomentSource.read_documents`, which yields the
documents of one collection changed at or after `since` as Extended JSON
text. The raw-layer assets depend on `MomentSource` only, so switching
between them is a matter of configuration.
"""

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import bson.json_util
import pymongo
import pymongo.errors
import pymongo.uri_parser
from dagster import ConfigurableResource, get_dagster_logger
from pydantic import Field

from moment_pipelines.ingest.load import SourceBatch
from moment_pipelines.ingest.schema import CollectionSpec
from moment_pipelines.resources.export_files import EXPORT_SUFFIXES, find_export_file, read_export_file

_RELAXED = bson.json_util.JSONOptions(
    json_mode=bson.json_util.JSONMode.RELAXED, tz_aware=True, tzinfo=bson.json_util.utc
)


# Errors after which reading resumes after the last document received.
_RESUMABLE_ERRORS = (pymongo.errors.AutoReconnect, pymongo.errors.ConnectionFailure, pymongo.errors.CursorNotFound)
_RETRY_DELAY_SECONDS = 1.0


class MomentSource(ConfigurableResource):
    """Interface of a source of moments, likes and comments."""

    def describe(self) -> str:
        """Return a short description that is safe to log (no credentials)."""
        raise NotImplementedError

    def read_documents(self, spec: CollectionSpec, since: datetime | None) -> Iterator[SourceBatch]:
        """Yield documents of `spec` whose change time is at or after `since` (all when None)."""
        raise NotImplementedError


class ExportDirSource(MomentSource):
    """Export files: `moments.json`, `likes.json`, `comments.json` (or .jsonl, .json.gz)."""

    export_dir: str = Field(description="包含 moments、likes、comments 导出文件的目录")
    generate_demo_if_missing: bool = Field(
        default=False, description="目录中没有导出文件时先生成演示数据（仅用于默认的 data/demo）"
    )
    batch_size: int = Field(default=50_000, description="每批写入 DuckDB 的文档数")

    def describe(self) -> str:
        return f"导出目录 {self.export_dir}"

    def _ensure_demo_data(self) -> None:
        directory = Path(self.export_dir)
        has_exports = any((directory / f"moments{suffix}").is_file() for suffix in EXPORT_SUFFIXES)
        if has_exports or not self.generate_demo_if_missing:
            return
        from moment_pipelines.demo import generate

        get_dagster_logger().info(f"{directory} 中没有导出文件，正在生成演示数据")
        generate(directory)

    def read_documents(self, spec: CollectionSpec, since: datetime | None) -> Iterator[SourceBatch]:
        # Export files are full snapshots; the loader applies `since` after validation.
        self._ensure_demo_data()
        path = find_export_file(Path(self.export_dir), spec.name)
        yield from read_export_file(path, self.batch_size)


class MongoSourceError(Exception):
    """A MongoDB failure, reported without the connection password."""


class MongoSource(MomentSource):
    """A MongoDB server read with `find` (never `aggregate`), sorted by (change time, `_id`)."""

    uri: str = Field(description="MongoDB 连接串，来自环境变量 MOMENTS_MONGO_URI")
    database: str | None = Field(default=None, description="数据库名；为空时使用连接串中的数据库")
    moments_collection: str = Field(default="moments", description="动态集合名")
    likes_collection: str = Field(default="likes", description="点赞集合名")
    comments_collection: str = Field(default="comments", description="评论集合名")
    batch_size: int = Field(default=5_000, description="游标每批从服务器取回的文档数")
    server_selection_timeout_ms: int = Field(default=10_000, description="连接服务器的超时（毫秒）")
    max_reconnects: int = Field(default=3, description="连接中断后继续读取的最多次数")

    def _parsed_uri(self) -> dict:
        try:
            return pymongo.uri_parser.parse_uri(self.uri)
        except (pymongo.errors.InvalidURI, pymongo.errors.ConfigurationError, ValueError):
            raise MongoSourceError(
                "MOMENTS_MONGO_URI 不是有效的 MongoDB 连接串，请检查格式，例如 mongodb://用户:密码@主机:27017/数据库"
            ) from None

    def hosts(self) -> str:
        nodes = self._parsed_uri()["nodelist"]
        return ", ".join(f"{host}:{port}" for host, port in nodes)

    def describe(self) -> str:
        parsed = self._parsed_uri()
        user = f"{parsed['username']}@" if parsed.get("username") else ""
        return f"MongoDB {user}{self.hosts()} 数据库 {self._database_name()}"

    def _database_name(self) -> str:
        name = self.database or self._parsed_uri().get("database")
        if not name:
            raise MongoSourceError("未指定 MongoDB 数据库：请设置 MOMENTS_MONGO_DB，或在 MOMENTS_MONGO_URI 末尾写上数据库名")
        return name

    def _scrub(self, text: str) -> str:
        """Remove the URI and its password from a driver message."""
        parsed = self._parsed_uri()
        scrubbed = text.replace(self.uri, "<MOMENTS_MONGO_URI>")
        password = parsed.get("password")
        if password:
            scrubbed = scrubbed.replace(password, "***")
        return scrubbed

    def collection_name(self, spec: CollectionSpec) -> str:
        names = {
            "moments": self.moments_collection,
            "likes": self.likes_collection,
            "comments": self.comments_collection,
        }
        return names[spec.name]

    @staticmethod
    def extraction_passes(spec: CollectionSpec, since: datetime | None) -> list[tuple[dict, list[str]]]:
        """Return (filter, sort fields) pairs that together select the extraction window.

        A full read is one pass over `_id`. An incremental read has one pass per
        watermark field, each over documents whose earlier watermark fields are
        missing, sorted by (that field, `_id`). A last pass picks up documents
        with no watermark field at all, which validation then quarantines.
        """
        if since is None:
            # NOTE: nx-27017 0.8 sorts integer `_id`s as text under an empty filter.
            # MongoDB reads `$exists` on `_id` as "every document", so both agree.
            return [({"_id": {"$exists": True}}, ["_id"])]
        passes = []
        earlier_missing: dict = {}
        for path in spec.watermark_paths:
            passes.append(({**earlier_missing, path: {"$gte": since}}, [path, "_id"]))
            earlier_missing = {**earlier_missing, path: None}
        passes.append((earlier_missing, ["_id"]))
        return passes

    @staticmethod
    def after(sort_fields: list[str], last: dict) -> dict:
        """Select documents that sort after `last` on `sort_fields` (keyset pagination)."""
        if sort_fields == ["_id"]:
            return {"_id": {"$gt": last["_id"]}}
        field = sort_fields[0]
        return {"$or": [{field: {"$gt": last[field]}}, {field: last[field], "_id": {"$gt": last["_id"]}}]}

    def read_documents(self, spec: CollectionSpec, since: datetime | None) -> Iterator[SourceBatch]:
        projection = {key: 1 for key in spec.top_level_keys}
        client = pymongo.MongoClient(
            self.uri, tz_aware=True, serverSelectionTimeoutMS=self.server_selection_timeout_ms
        )
        try:
            collection = client[self._database_name()][self.collection_name(spec)]
            for query, sort_fields in self.extraction_passes(spec, since):
                yield from self._read_pass(collection, spec, query, sort_fields, projection)
        except pymongo.errors.PyMongoError as error:
            raise MongoSourceError(
                f"读取 MongoDB 集合 {self.collection_name(spec)}（主机 {self.hosts()}）失败："
                f"{self._scrub(str(error))}。请检查服务器是否在运行、网络是否可达、用户名和密码是否正确"
            ) from None
        finally:
            client.close()

    def _read_pass(
        self, collection, spec: CollectionSpec, query: dict, sort_fields: list[str], projection: dict
    ) -> Iterator[SourceBatch]:
        """Stream one pass; after a dropped or early-ended cursor, continue after the last document."""
        logger = get_dagster_logger()
        sort = [(field, pymongo.ASCENDING) for field in sort_fields]
        last: dict | None = None
        failures = 0
        documents: list[str] = []
        while True:
            window = query if last is None else {"$and": [query, self.after(sort_fields, last)]}
            try:
                for document in collection.find(window, projection).sort(sort).batch_size(self.batch_size):
                    documents.append(bson.json_util.dumps(document, json_options=_RELAXED))
                    last = document
                    if len(documents) >= self.batch_size:
                        yield SourceBatch(documents)
                        documents = []
                # A cursor can end early without an error (a server that lost the
                # cursor on restart), so check that nothing sorts after the last document.
                if last is None or collection.find_one({"$and": [query, self.after(sort_fields, last)]}) is None:
                    break
                logger.warning(f"{spec.name}：MongoDB 游标提前结束，从最后读到的文档之后继续读取")
            except _RESUMABLE_ERRORS as error:
                failures += 1
                if failures > self.max_reconnects:
                    raise
                logger.warning(
                    f"{spec.name}：MongoDB 连接中断（第 {failures} 次，{type(error).__name__}），"
                    f"{_RETRY_DELAY_SECONDS:g} 秒后从最后读到的文档之后继续读取"
                )
                time.sleep(_RETRY_DELAY_SECONDS)
        if documents:
            yield SourceBatch(documents)
