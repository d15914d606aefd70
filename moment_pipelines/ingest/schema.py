"""The three source collections and the typed raw tables they load into.

Each `SourceField` names a path in the MongoDB document, the raw-table column
it fills, and the JSON value kind that is accepted there. `validate.py` turns
these declarations into the SQL that checks and converts every document.
"""

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """Accepted JSON value kinds, with the DuckDB column type they load into."""

    ID = "BIGINT"  # integer id; Extended JSON $numberLong/$numberInt accepted
    INT = "BIGINT"
    DOUBLE = "DOUBLE"
    TEXT = "VARCHAR"
    BOOL = "BOOLEAN"
    TIME = "TIMESTAMPTZ"  # ISO string, {"$date": ...} or epoch milliseconds
    TEXT_LIST = "VARCHAR[]"
    JSON = "JSON"  # kept as written, not validated

    def __init__(self, sql_type: str) -> None:
        self.sql_type = sql_type


@dataclass(frozen=True)
class SourceField:
    """One document field: where it is, where it goes and what it may hold."""

    path: str  # dotted path in the source document, e.g. "location.lng"
    column: str  # column in the raw table
    kind: Kind
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class CollectionSpec:
    """A source collection, its raw table and how its watermark is read."""

    name: str  # logical name; also the export file stem and default Mongo collection
    raw_table: str
    fields: tuple[SourceField, ...]
    # Source fields whose first present value is the document's change time.
    # The incremental watermark advances on it, with `_id` as tie-break.
    watermark_paths: tuple[str, ...]
    # Nested objects: present and not an object is a type error.
    object_paths: tuple[str, ...] = ()

    @property
    def top_level_keys(self) -> tuple[str, ...]:
        keys = [field.path.split(".")[0] for field in self.fields]
        return tuple(dict.fromkeys(keys))

    def column_for(self, path: str) -> str:
        for field in self.fields:
            if field.path == path:
                return field.column
        raise KeyError(path)


MOMENTS = CollectionSpec(
    name="moments",
    raw_table="raw_moments",
    fields=(
        SourceField("_id", "moment_id", Kind.ID, required=True, min_value=1),
        SourceField("uid", "uid", Kind.ID, required=True, min_value=1),
        SourceField("type", "type", Kind.INT, required=True),
        SourceField("text", "text", Kind.TEXT),
        SourceField("pics", "pics", Kind.TEXT_LIST),
        SourceField("location.area", "location_area", Kind.TEXT),
        SourceField("location.lng", "location_lng", Kind.DOUBLE, min_value=-180, max_value=180),
        SourceField("location.lat", "location_lat", Kind.DOUBLE, min_value=-90, max_value=90),
        SourceField("mentions", "mentions", Kind.JSON),
        SourceField("status", "status", Kind.INT),
        SourceField("createTime", "create_time", Kind.TIME, required=True),
        SourceField("updateTime", "update_time", Kind.TIME),
        SourceField("likeCount", "like_count", Kind.INT, min_value=0),
        SourceField("mentioned", "mentioned", Kind.BOOL),
        SourceField("needPay", "need_pay", Kind.BOOL),
        SourceField("visibleType", "visible_type", Kind.INT),
        SourceField("visibleUids", "visible_uids", Kind.JSON),
        SourceField("ip", "ip", Kind.TEXT),
        SourceField("ipLocation", "ip_location", Kind.TEXT),
        SourceField("_class", "class_name", Kind.TEXT),
    ),
    watermark_paths=("updateTime", "createTime"),
    object_paths=("location",),
)

LIKES = CollectionSpec(
    name="likes",
    raw_table="raw_likes",
    fields=(
        SourceField("_id", "like_id", Kind.ID, required=True, min_value=1),
        SourceField("momentId", "moment_id", Kind.ID, required=True, min_value=1),
        SourceField("uid", "uid", Kind.ID, required=True, min_value=1),
        SourceField("actionTime", "action_time", Kind.TIME, required=True),
        SourceField("_class", "class_name", Kind.TEXT),
    ),
    watermark_paths=("actionTime",),
)

COMMENTS = CollectionSpec(
    name="comments",
    raw_table="raw_comments",
    fields=(
        SourceField("_id", "comment_id", Kind.ID, required=True, min_value=1),
        SourceField("momentId", "moment_id", Kind.ID, required=True, min_value=1),
        SourceField("uid", "uid", Kind.ID, required=True, min_value=1),
        SourceField("toUid", "to_uid", Kind.ID, min_value=1),
        SourceField("content", "content", Kind.TEXT),
        SourceField("publishTime", "publish_time", Kind.TIME, required=True),
        SourceField("updateTime", "update_time", Kind.TIME),
        SourceField("status", "status", Kind.INT),
        SourceField("publicationContent.commentType", "comment_type", Kind.INT),
        SourceField("publicationContent.text", "publication_text", Kind.TEXT),
        SourceField("publicationContent.pics", "publication_pics", Kind.TEXT_LIST),
        SourceField("ip", "ip", Kind.TEXT),
        SourceField("ipLocation", "ip_location", Kind.TEXT),
        SourceField("_class", "class_name", Kind.TEXT),
    ),
    watermark_paths=("updateTime", "publishTime"),
    object_paths=("publicationContent",),
)

COLLECTIONS: dict[str, CollectionSpec] = {spec.name: spec for spec in (MOMENTS, LIKES, COMMENTS)}
