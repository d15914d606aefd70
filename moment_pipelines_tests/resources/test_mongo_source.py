"""The MongoDB source against a real wire-protocol server on 127.0.0.1."""

import json
from datetime import datetime, timedelta, timezone

import pymongo
import pytest
from bson.int64 import Int64
from dagster import EnvVar, materialize

from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.ingest.schema import LIKES, MOMENTS
from moment_pipelines.resources import MongoSource, Warehouse
from moment_pipelines.resources.sources import MongoSourceError
from moment_pipelines_tests.mongo_server import MongoTestServer, free_port, running_mongo

UTC = timezone.utc
START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def mongo_server(tmp_path_factory):
    with running_mongo(tmp_path_factory.mktemp("mongo")) as server:
        yield server


@pytest.fixture
def database(mongo_server):
    client = pymongo.MongoClient(mongo_server.uri, tz_aware=True)
    db = client.get_default_database()
    for name in ("moments", "likes", "comments", "app_moments"):
        db.drop_collection(name)
    yield db
    client.close()


def moment(moment_id: int, hours: int, like_count: int = 0) -> dict:
    created = START + timedelta(hours=hours)
    return {
        "_id": Int64(moment_id),
        "uid": Int64(3000000000 + moment_id % 7),
        "type": 1,
        "text": f"第{moment_id}条动态",
        "pics": [],
        "status": 3,
        "createTime": created,
        "updateTime": created + timedelta(minutes=5),
        "likeCount": like_count,
        "ip": "114.83.176.134",
        "ipLocation": "上海",
    }


def materialize_raw(uri_source: MongoSource, warehouse: Warehouse):
    result = materialize(raw_assets, resources={"source": uri_source, "warehouse": warehouse})
    assert result.success
    return {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }


def test_mongo_extraction_loads_rows(database, mongo_server, warehouse):
    database.moments.insert_many([moment(i, hours=i) for i in range(1, 31)])
    database.likes.insert_one(
        {"_id": Int64(9001), "momentId": Int64(1), "uid": Int64(42), "actionTime": START + timedelta(hours=2)}
    )

    metadata = materialize_raw(MongoSource(uri=mongo_server.uri, batch_size=7), warehouse)

    assert metadata["raw_moments"]["documents_read"] == 30
    assert metadata["raw_moments"]["rows_inserted"] == 30
    assert metadata["raw_likes"]["rows_inserted"] == 1
    assert metadata["raw_comments"]["documents_read"] == 0
    assert "warning" in metadata["raw_comments"]
    with warehouse.get_connection() as con:
        row = con.execute("SELECT uid, create_time FROM raw_moments WHERE moment_id = 3").fetchone()
    assert row == (3000000003, START + timedelta(hours=3))


def test_incremental_reads_only_window(database, mongo_server, warehouse):
    database.moments.insert_many([moment(i, hours=24 * i) for i in range(1, 11)])
    source = MongoSource(uri=mongo_server.uri)
    materialize_raw(source, warehouse)

    database.moments.insert_one(moment(11, hours=24 * 11))
    # NOTE: nx-27017 0.8 stores a datetime written by $set as a string, so the
    # update replaces the whole document, as the app's ORM does.
    updated = moment(2, hours=48, like_count=50)
    updated["updateTime"] = START + timedelta(days=12)
    database.moments.replace_one({"_id": 2}, updated)
    metadata = materialize_raw(source, warehouse)["raw_moments"]

    # The watermark is moment 10's update time; the 48-hour overlap reaches
    # back to moment 8's, so 8, 9 and 10 are read again unchanged.
    assert metadata["documents_read"] == 5
    assert metadata["rows_inserted"] == 1
    assert metadata["rows_updated"] == 1
    assert metadata["rows_unchanged"] == 3
    with warehouse.get_connection() as con:
        assert con.execute("SELECT count(*) FROM raw_moments").fetchone()[0] == 11
        assert con.execute("SELECT like_count FROM raw_moments WHERE moment_id = 2").fetchone()[0] == 50


def test_configured_collection_name(database, mongo_server, warehouse):
    database.app_moments.insert_many([moment(i, hours=i) for i in range(1, 4)])

    source = MongoSource(uri=mongo_server.uri, moments_collection="app_moments")
    metadata = materialize_raw(source, warehouse)

    assert metadata["raw_moments"]["rows_inserted"] == 3


def test_uri_from_environment(database, mongo_server, warehouse, monkeypatch):
    database.moments.insert_one(moment(1, hours=1))
    monkeypatch.setenv("MOMENTS_MONGO_URI", mongo_server.uri)

    metadata = materialize_raw(MongoSource(uri=EnvVar("MOMENTS_MONGO_URI")), warehouse)

    assert metadata["raw_moments"]["rows_inserted"] == 1


def test_passes_fall_back_per_field():
    passes = MongoSource.extraction_passes(MOMENTS, START)

    assert passes == [
        ({"updateTime": {"$gte": START}}, ["updateTime", "_id"]),
        ({"updateTime": None, "createTime": {"$gte": START}}, ["createTime", "_id"]),
        ({"updateTime": None, "createTime": None}, ["_id"]),
    ]


def test_passes_single_watermark_field():
    passes = MongoSource.extraction_passes(LIKES, START)

    assert passes[0] == ({"actionTime": {"$gte": START}}, ["actionTime", "_id"])
    assert passes[1] == ({"actionTime": None}, ["_id"])


def test_full_read_is_one_pass():
    assert MongoSource.extraction_passes(MOMENTS, None) == [({"_id": {"$exists": True}}, ["_id"])]


def test_fallback_pass_reads_documents_without_update_time(database, mongo_server):
    without_update = moment(2, hours=30)
    del without_update["updateTime"]
    database.moments.insert_many([moment(1, hours=30), without_update, moment(3, hours=1)])
    source = MongoSource(uri=mongo_server.uri)

    batches = list(source.read_documents(MOMENTS, START + timedelta(hours=24)))

    ids = sorted(json.loads(text)["_id"] for batch in batches for text in batch.documents)
    assert ids == [1, 2]


@pytest.mark.parametrize("since", [None, START], ids=["full", "incremental"])
def test_server_restart_mid_extraction(tmp_path, since):
    """Stop and restart the server between two batches; every document arrives exactly once."""
    server = MongoTestServer(tmp_path)
    server.start()
    try:
        with pymongo.MongoClient(server.uri, tz_aware=True) as client:
            client.get_default_database().moments.insert_many([moment(i, hours=i) for i in range(1, 601)])
        source = MongoSource(uri=server.uri, batch_size=50, server_selection_timeout_ms=15_000)

        ids = []
        for batch_number, batch in enumerate(source.read_documents(MOMENTS, since)):
            ids.extend(json.loads(text)["_id"] for text in batch.documents)
            if batch_number == 2:
                server.stop()
                server.start()
    finally:
        server.stop()

    assert len(ids) == 600
    assert sorted(ids) == list(range(1, 601))


def test_unreachable_server_error_hides_password():
    secret = "s3cr3t-Passw0rd"
    port = free_port()
    source = MongoSource(
        uri=f"mongodb://reader:{secret}@127.0.0.1:{port}/moments?authSource=admin",
        server_selection_timeout_ms=300,
        max_reconnects=0,
    )

    with pytest.raises(MongoSourceError) as raised:
        list(source.read_documents(MOMENTS, None))

    message = str(raised.value)
    assert secret not in message
    assert f"127.0.0.1:{port}" in message
    assert raised.value.__cause__ is None


def test_describe_hides_password():
    source = MongoSource(uri="mongodb://reader:hunter2@127.0.0.1:27017/app")

    description = source.describe()

    assert "hunter2" not in description
    assert "reader@127.0.0.1:27017" in description


def test_missing_database_name_explained():
    source = MongoSource(uri="mongodb://127.0.0.1:27017")

    with pytest.raises(MongoSourceError, match="MOMENTS_MONGO_DB"):
        source.describe()
