"""Small hand-made staging and candidate tables for running scenario 2's feature SQL with exact expectations."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import duckdb
import pandas as pd

from moment_pipelines.assets.like_behavior.provinces import adcodes_path, read_province_centres
from moment_pipelines.features import FEATURE_GROUPS

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def hour(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@dataclass
class Moment:
    moment_id: int
    uid: int
    create_time: datetime
    type: int = 1
    text: str = ""
    lng: float | None = None
    lat: float | None = None
    ip_location: str | None = None


@dataclass
class Like:
    uid: int
    moment_id: int
    action_time: datetime


@dataclass
class Comment:
    comment_id: int
    moment_id: int
    uid: int
    publish_time: datetime
    to_uid: int | None = None
    ip_location: str | None = None


@dataclass
class Candidate:
    uid: int
    moment_id: int
    event_time: datetime
    label: int = 0


@dataclass
class Scene:
    """Rows of the staging tables and the candidate table that one test sets up."""

    moments: list[Moment] = field(default_factory=list)
    likes: list[Like] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """Return an in-memory DuckDB with the staging columns the scenario 2 SQL reads, and province_coordinates."""
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        authors = {moment.moment_id: moment.uid for moment in self.moments}
        created = {moment.moment_id: moment.create_time for moment in self.moments}

        moments = pd.DataFrame(
            [
                {
                    "moment_id": m.moment_id,
                    "uid": m.uid,
                    "type": m.type,
                    "text": m.text,
                    "create_time": m.create_time,
                    "location_lng": m.lng,
                    "location_lat": m.lat,
                    "has_location": m.lng is not None and m.lat is not None,
                    "ip_location": m.ip_location,
                }
                for m in self.moments
            ],
            columns=["moment_id", "uid", "type", "text", "create_time", "location_lng", "location_lat", "has_location", "ip_location"],
        )
        likes = pd.DataFrame(
            [
                {
                    "like_id": index,
                    "uid": like.uid,
                    "moment_id": like.moment_id,
                    "action_time": like.action_time,
                    "is_orphan": like.moment_id not in authors,
                    "is_self_like": authors.get(like.moment_id) == like.uid,
                    "is_before_moment": like.moment_id in created and like.action_time < created[like.moment_id],
                }
                for index, like in enumerate(self.likes)
            ],
            columns=["like_id", "uid", "moment_id", "action_time", "is_orphan", "is_self_like", "is_before_moment"],
        )
        comments = pd.DataFrame(
            [
                {
                    "comment_id": c.comment_id,
                    "moment_id": c.moment_id,
                    "uid": c.uid,
                    "to_uid": c.to_uid,
                    "publish_time": c.publish_time,
                    "ip_location": c.ip_location,
                    "is_orphan": c.moment_id not in authors,
                }
                for c in self.comments
            ],
            columns=["comment_id", "moment_id", "uid", "to_uid", "publish_time", "ip_location", "is_orphan"],
        )
        candidates = pd.DataFrame(
            [
                {
                    "uid": c.uid,
                    "moment_id": c.moment_id,
                    "event_time": c.event_time,
                    "author_uid": authors[c.moment_id],
                    "label": c.label,
                    "sample_source": "like" if c.label else "feed",
                    "positive_id": index,
                }
                for index, c in enumerate(self.candidates)
            ],
            columns=["uid", "moment_id", "event_time", "author_uid", "label", "sample_source", "positive_id"],
        )
        provinces = pd.DataFrame([centre.__dict__ for centre in read_province_centres(adcodes_path())])

        for name, frame, casts in (
            ("stg_moments", moments, {"moment_id": "BIGINT", "uid": "BIGINT", "type": "BIGINT", "text": "VARCHAR",
                                      "create_time": "TIMESTAMPTZ", "location_lng": "DOUBLE", "location_lat": "DOUBLE",
                                      "has_location": "BOOLEAN", "ip_location": "VARCHAR"}),
            ("stg_likes", likes, {"like_id": "BIGINT", "uid": "BIGINT", "moment_id": "BIGINT", "action_time": "TIMESTAMPTZ",
                                  "is_orphan": "BOOLEAN", "is_self_like": "BOOLEAN", "is_before_moment": "BOOLEAN"}),
            ("stg_comments", comments, {"comment_id": "BIGINT", "moment_id": "BIGINT", "uid": "BIGINT", "to_uid": "BIGINT",
                                        "publish_time": "TIMESTAMPTZ", "ip_location": "VARCHAR", "is_orphan": "BOOLEAN"}),
            ("like_behavior_candidates", candidates, {"uid": "BIGINT", "moment_id": "BIGINT", "event_time": "TIMESTAMPTZ",
                                                      "author_uid": "BIGINT", "label": "INTEGER", "sample_source": "VARCHAR",
                                                      "positive_id": "BIGINT"}),
            ("province_coordinates", provinces, {"short_name": "VARCHAR", "name": "VARCHAR", "adcode": "VARCHAR",
                                                 "lng": "DOUBLE", "lat": "DOUBLE"}),
        ):
            con.register(f"{name}_frame", frame)
            columns = ", ".join(f"CAST({column} AS {sql_type}) AS {column}" for column, sql_type in casts.items())
            con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM {name}_frame")
            con.unregister(f"{name}_frame")
        return con

    def feature_rows(self, group_name: str) -> list[dict]:
        """Run one feature group's SQL on this scene and return its rows in candidate order."""
        con = self.connect()
        con.execute(FEATURE_GROUPS[group_name].sql)
        frame = con.execute(
            f"SELECT f.* FROM {group_name} AS f JOIN like_behavior_candidates USING (uid, moment_id, event_time) "
            "ORDER BY positive_id"
        ).fetchdf()
        return frame.to_dict("records")
