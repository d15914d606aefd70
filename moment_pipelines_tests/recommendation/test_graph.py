"""The recommendation graph built by the real asset from a tiny hand-made export."""

import json

import pytest
import torch
from dagster import materialize

from moment_pipelines.assets.like_behavior.provinces import province_coordinates
from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.assets.recommendation.graph import recommendation_graph
from moment_pipelines.assets.staging import staging_assets
from moment_pipelines.ml.recommendation.graph import HOME, NEAR, cutoff_ms, graph_counts, interaction_pairs, load_graph, snapshot
from moment_pipelines.resources import ExportDirSource
from moment_pipelines.resources.artifacts import ArtifactStore

ALICE, BOB, CAROL, DAVE = 1000000001, 1000000002, 1000000003, 1000000004  # Shanghai, Beijing, Guangdong (comments only), no place
SHANGHAI = {"area": "上海市", "lat": 31.23, "lng": 121.47}
BEIJING = {"area": "北京市", "lat": 39.90, "lng": 116.40}


def moment(moment_id, uid, time, ip_location, location=None):
    document = {"_id": moment_id, "uid": uid, "type": 1, "text": "你好", "pics": [], "createTime": {"$date": time},
                "likeCount": 0, "ipLocation": ip_location}  # fmt: skip
    if location:
        document["location"] = location
    return document


def like(like_id, moment_id, uid, time):
    return {"_id": like_id, "momentId": moment_id, "uid": uid, "actionTime": {"$date": time}}


def comment(comment_id, moment_id, uid, time, ip_location):
    return {"_id": comment_id, "momentId": moment_id, "uid": uid, "toUid": uid, "content": "好", "status": 3,
            "publishTime": {"$date": time}, "ipLocation": ip_location}  # fmt: skip


MOMENTS = [
    moment(11, ALICE, "2025-01-01T00:00:00Z", "上海", SHANGHAI),
    moment(12, ALICE, "2025-01-05T00:00:00Z", "上海", SHANGHAI),
    moment(13, BOB, "2025-01-02T00:00:00Z", "北京", BEIJING),
    moment(14, BOB, "2025-01-09T00:00:00Z", "北京"),
    moment(15, ALICE, "2025-01-09T12:00:00Z", "未知"),
]
LIKES = [
    like(21, 11, BOB, "2025-01-01T01:00:00Z"),
    like(22, 11, DAVE, "2025-01-02T00:00:00Z"),
    like(23, 13, ALICE, "2025-01-03T00:00:00Z"),
    like(24, 12, ALICE, "2025-01-05T01:00:00Z"),  # own moment: no edge
    like(25, 12, DAVE, "2025-01-06T00:00:00Z"),  # validation period
    like(26, 14, BOB, "2025-01-09T13:00:00Z"),  # own moment: no edge
    like(27, 14, DAVE, "2025-01-09T13:00:00Z"),  # test period
]
COMMENTS = [
    comment(31, 13, CAROL, "2025-01-04T00:00:00Z", "广东"),  # validation period
    comment(32, 13, CAROL, "2025-01-04T02:00:00Z", "广东"),  # same pair again: still one edge
    comment(33, 11, ALICE, "2025-01-01T02:00:00Z", "上海"),  # own moment: no edge
    comment(34, 12, CAROL, "2025-01-09T14:00:00Z", "广东"),  # test period, the last event
]


def write_exports(directory):
    for name, documents in (("moments", MOMENTS), ("likes", LIKES), ("comments", COMMENTS)):
        lines = [json.dumps(document, ensure_ascii=False) for document in documents]
        (directory / f"{name}.json").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny")
    write_exports(directory)
    from moment_pipelines.resources import Warehouse

    result = materialize(
        [*raw_assets, *staging_assets, province_coordinates, recommendation_graph],
        resources={
            "source": ExportDirSource(export_dir=str(directory)),
            "warehouse": Warehouse(database=str(directory / "warehouse.duckdb")),
            "artifacts": ArtifactStore(root=str(directory / "artifacts")),
        },
    )
    assert result.success
    metadata = result.asset_materializations_for_node("recommendation_graph")[0].metadata
    return load_graph(metadata["graph_path"].value)


def uid_pairs(graph, pairs):
    user, moment = pairs[0], pairs[1]
    return {(int(graph["user"].uid[u]), int(graph["moment"].moment_id[m])) for u, m in zip(user.tolist(), moment.tolist())}


def test_node_and_edge_counts(graph):
    assert graph_counts(graph) == {
        "user": 4,
        "moment": 5,
        "cell": 5,  # Shanghai and Beijing grid cells; provinces 上海, 北京 and 广东
        "user-likes-moment": 5,
        "user-comments-moment": 2,
        "user-posts-moment": 5,
        "moment-in-cell": 4,  # moment 15 has neither coordinates nor a known province
        "user-home-cell": 3,  # Dave only likes, so nothing places him
        "cell-near-cell": 4,  # each grid cell and its own province centre, both directions
    }


def test_comment_edges_deduplicated(graph):
    pairs = graph["user", "comments", "moment"].edge_index
    assert uid_pairs(graph, pairs) == {(CAROL, 13), (CAROL, 12)}


def test_cutoffs_from_last_event(graph):
    assert cutoff_ms(graph, "serving") == 1736431200001  # 2025-01-09T14:00:00Z + 1 ms
    assert cutoff_ms(graph, "test") == 1736431200001 - 3 * 86_400_000
    assert cutoff_ms(graph, "validation") == 1736431200001 - 6 * 86_400_000


def test_heldout_edges_absent_from_training_graph(graph):
    training = snapshot(graph, "validation")
    user, moment, _ = interaction_pairs(training)
    assert uid_pairs(graph, (user, moment)) == {(BOB, 11), (DAVE, 11), (ALICE, 13)}


def test_test_edges_absent_from_test_graph(graph):
    before_test = snapshot(graph, "test")
    user, moment, _ = interaction_pairs(before_test)
    assert (DAVE, 14) not in uid_pairs(graph, (user, moment))
    assert (CAROL, 12) not in uid_pairs(graph, (user, moment))
    assert len(user) == 5


def test_snapshot_leaves_graph_unchanged(graph):
    snapshot(graph, "validation")
    assert graph["user", "likes", "moment"].edge_index.shape[1] == 5


def test_moments_posted_later_are_isolated(graph):
    training = snapshot(graph, "validation")
    posted = set(graph["moment"].moment_id[training["user", "posts", "moment"].edge_index[1]].tolist())
    assert posted == {11, 13}


def test_homes_point_in_time(graph):
    cell_names = graph["cell"].name
    homes = {int(graph["user"].uid[u]): cell_names[c] for u, c in zip(*snapshot(graph, "validation")[HOME].edge_index.tolist())}
    assert homes == {ALICE: "grid:31.0000,121.2500", BOB: "grid:39.7500,116.2500"}


def test_home_falls_back_to_province(graph):
    cell_names = graph["cell"].name
    homes = {int(graph["user"].uid[u]): cell_names[c] for u, c in zip(*graph[HOME].edge_index.tolist())}
    assert homes[CAROL] == "province:广东"
    assert DAVE not in homes


def test_near_pairs_symmetric(graph):
    source, target = graph[NEAR].edge_index
    pairs = set(zip(source.tolist(), target.tolist()))
    assert pairs == {(b, a) for a, b in pairs}
    assert bool(torch.all(graph[NEAR].distance_km <= graph.near_km))
