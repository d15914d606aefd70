"""Document sources: a MongoDB server or a directory of export files.

Both resources implement `MomentSource.read_documents`, which yields the
documents of one collection changed at or after `since` as Extended JSON
text. The raw-layer assets depend on `MomentSource` only, so switching
between them is a matter of configuration.
"""

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
    """A MongoDB server read with `find` (never `aggregate`), sorted by (change time, _id)."""

    uri: str = Field(description="MongoDB 连接串，来自环境变量 MOMENTS_MONGO_URI")
    database: str | None = Field(default=None, description="数据库名；为空时使用连接串中的数据库")
    moments_collection: str = Field(default="moments", description="动态集合名")
    likes_collection: str = Field(default="likes", description="点赞集合名")
    comments_collection: str = Field(default="comments", description="评论集合名")
    batch_size: int = Field(default=5_000, description="游标每批从服务器取回的文档数")
    server_selection_timeout_ms: int = Field(default=10_000, description="连接服务器的超时（毫秒）")
    max_reconnects: int = Field(default=3, description="游标中途断开后重新查询的最多次数")

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
    def watermark_filter(spec: CollectionSpec, since: datetime | None) -> dict:
        """Select documents whose first present watermark field is at or after `since`."""
        if since is None:
            return {}
        clauses = []
        earlier_missing: dict = {}
        for path in spec.watermark_paths:
            clauses.append({**earlier_missing, path: {"$gte": since}})
            earlier_missing = {**earlier_missing, path: None}
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def read_documents(self, spec: CollectionSpec, since: datetime | None) -> Iterator[SourceBatch]:
        logger = get_dagster_logger()
        query = self.watermark_filter(spec, since)
        projection = {key: 1 for key in spec.top_level_keys}
        sort = [(path, pymongo.ASCENDING) for path in spec.watermark_paths] + [("_id", pymongo.ASCENDING)]
        seen_ids: set = set()
        reconnects = 0

        client = pymongo.MongoClient(
            self.uri, tz_aware=True, serverSelectionTimeoutMS=self.server_selection_timeout_ms
        )
        try:
            collection = client[self._database_name()][self.collection_name(spec)]
            while True:
                try:
                    cursor = collection.find(query, projection).sort(sort).batch_size(self.batch_size)
                    yield from self._batches(cursor, seen_ids)
                    return
                except (pymongo.errors.AutoReconnect, pymongo.errors.ConnectionFailure) as error:
                    reconnects += 1
                    if reconnects > self.max_reconnects:
                        raise MongoSourceError(
                            f"无法从 MongoDB（主机 {self.hosts()}）读取集合 {self.collection_name(spec)}："
                            f"{self._scrub(str(error))}。请检查服务器是否在运行、网络是否可达、用户名和密码是否正确"
                        ) from None
                    # Re-run the same query; documents already passed on are skipped by _id.
                    logger.warning(
                        f"MongoDB 游标中断（第 {reconnects} 次），已读 {len(seen_ids)} 条，从水位线重新查询"
                    )
                except pymongo.errors.PyMongoError as error:
                    raise MongoSourceError(
                        f"读取 MongoDB 集合 {self.collection_name(spec)} 失败：{self._scrub(str(error))}"
                    ) from None
        finally:
            client.close()

    def _batches(self, cursor, seen_ids: set) -> Iterator[SourceBatch]:
        documents: list[str] = []
        for document in cursor:
            document_id = document.get("_id")
            key = repr(document_id)
            if key in seen_ids:
                continue
            seen_ids.add(key)
            documents.append(bson.json_util.dumps(document, json_options=_RELAXED))
            if len(documents) >= self.batch_size:
                yield SourceBatch(documents)
                documents = []
        if documents:
            yield SourceBatch(documents)
