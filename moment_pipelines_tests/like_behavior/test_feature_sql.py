"""Scenario 2 feature SQL on small hand-made tables: point-in-time counts, geography and missing locations."""

import pytest

from moment_pipelines.features import FEATURE_GROUPS
from moment_pipelines_tests.like_behavior.tables import Candidate, Comment, Like, Moment, Scene, hour

USER, AUTHOR, OTHER = 101, 202, 303

BEIJING = (116.407394, 39.904211)
SHANGHAI = (121.473662, 31.230372)
GUANGZHOU = (113.264100, 23.129100)
SHENZHEN = (114.057900, 22.543100)

CANDIDATE_GROUPS = [
    name for name, group in FEATURE_GROUPS.items() if group.key_table == "like_behavior_candidates"
]


def interaction_scene() -> Scene:
    """USER likes AUTHOR's moment 1 at hour 10; candidates for AUTHOR's moment 2 before, at and after that like."""
    return Scene(
        moments=[
            Moment(1, AUTHOR, hour(0)),
            Moment(2, AUTHOR, hour(1)),
            Moment(3, USER, hour(2)),
        ],
        likes=[Like(USER, 1, hour(10))],
        comments=[
            Comment(1, 1, USER, hour(12), to_uid=AUTHOR),
            Comment(2, 3, AUTHOR, hour(14), to_uid=USER),
        ],
        candidates=[
            Candidate(USER, 2, hour(9)),
            Candidate(USER, 2, hour(10)),
            Candidate(USER, 2, hour(11)),
            Candidate(USER, 2, hour(13)),
            Candidate(USER, 2, hour(15)),
        ],
    )


@pytest.mark.parametrize("group_name", [*CANDIDATE_GROUPS, "moment_sentiment_features"])
def test_sql_columns_match_registry(group_name):
    group = FEATURE_GROUPS[group_name]
    con = interaction_scene().connect()
    for function in group.functions:
        con.create_function(function.name, function.function, list(function.parameters), function.return_type)

    con.execute(group.sql)
    columns = [row[0] for row in con.execute(f"SELECT column_name FROM (DESCRIBE {group.name})").fetchall()]

    assert columns == group.column_names


def test_interactions_count_only_earlier_events():
    rows = interaction_scene().feature_rows("user_author_interaction_features")

    assert [row["likes_to_author"] for row in rows] == [0, 0, 1, 1, 1]
    assert [row["comments_to_author"] for row in rows] == [0, 0, 0, 1, 1]
    assert [row["comments_from_author"] for row in rows] == [0, 0, 0, 0, 1]


def test_interactions_ignore_other_authors():
    scene = interaction_scene()
    scene.moments.append(Moment(4, OTHER, hour(0)))
    scene.candidates = [Candidate(USER, 4, hour(20))]

    (row,) = scene.feature_rows("user_author_interaction_features")

    assert (row["likes_to_author"], row["comments_to_author"], row["comments_from_author"]) == (0, 0, 0)


def test_type_share_uses_only_earlier_likes():
    scene = Scene(
        moments=[Moment(1, AUTHOR, hour(0), type=3), Moment(2, AUTHOR, hour(0), type=1), Moment(3, AUTHOR, hour(1), type=3)],
        likes=[Like(USER, 1, hour(5)), Like(USER, 2, hour(6)), Like(USER, 3, hour(8))],
        candidates=[Candidate(USER, 3, hour(4)), Candidate(USER, 3, hour(7)), Candidate(USER, 3, hour(8), label=1)],
    )

    rows = scene.feature_rows("user_type_affinity_features")

    assert [row["user_prior_likes"] for row in rows] == [0, 2, 2]
    assert [row["user_type_likes"] for row in rows] == [0, 1, 1]
    # Two types in the data: Laplace smoothing gives (type likes + 1) / (prior likes + 2).
    assert [row["user_type_like_share"] for row in rows] == pytest.approx([1 / 2, 2 / 4, 2 / 4])


def test_exposure_excludes_the_like_itself():
    scene = Scene(
        moments=[Moment(1, AUTHOR, hour(0))],
        likes=[Like(OTHER, 1, hour(1)), Like(USER, 1, hour(3))],
        comments=[Comment(1, 1, OTHER, hour(2))],
        candidates=[Candidate(USER, 1, hour(3), label=1)],
    )

    (row,) = scene.feature_rows("moment_exposure_features")

    assert row["moment_age_hours"] == pytest.approx(3.0)
    assert row["moment_likes_before_event"] == 1
    assert row["moment_comments_before_event"] == 1


def geo_scene(user_point: tuple[float, float] | None, moment_point: tuple[float, float] | None, **moment_fields) -> Scene:
    """USER posted one moment at `user_point` at hour 0; the candidate is AUTHOR's moment at `moment_point`."""
    user_lng, user_lat = user_point or (None, None)
    moment_lng, moment_lat = moment_point or (None, None)
    return Scene(
        moments=[
            Moment(1, USER, hour(0), lng=user_lng, lat=user_lat, ip_location=moment_fields.get("user_ip")),
            Moment(2, AUTHOR, hour(1), lng=moment_lng, lat=moment_lat, ip_location=moment_fields.get("moment_ip")),
        ],
        candidates=[Candidate(USER, 2, hour(5))],
    )


@pytest.mark.parametrize(
    ("user_point", "moment_point", "expected_km"),
    [(BEIJING, SHANGHAI, 1068), (GUANGZHOU, SHENZHEN, 104), (SHANGHAI, SHANGHAI, 0)],
    ids=["beijing-shanghai", "guangzhou-shenzhen", "same-point"],
)
def test_haversine_city_pairs(user_point, moment_point, expected_km):
    (row,) = geo_scene(user_point, moment_point).feature_rows("user_moment_geo_features")

    assert row["distance_km"] == pytest.approx(expected_km, rel=0.01, abs=0.5)
    assert row["distance_missing"] == 0


def test_user_without_location_gets_defined_value():
    (row,) = geo_scene(None, SHANGHAI, moment_ip="上海").feature_rows("user_moment_geo_features")

    assert row["distance_km"] == 0.0
    assert row["distance_missing"] == 1
    assert row["same_province"] == 0
    assert row["province_missing"] == 1


def test_ip_province_stands_in_for_coordinates():
    (row,) = geo_scene(None, SHANGHAI, user_ip="北京", moment_ip="上海").feature_rows("user_moment_geo_features")

    assert row["distance_km"] == pytest.approx(1068, rel=0.01)
    assert row["distance_missing"] == 0
    assert row["same_province"] == 0
    assert row["province_missing"] == 0


def test_same_province_flag():
    (row,) = geo_scene(SHANGHAI, SHANGHAI, user_ip="上海", moment_ip="上海").feature_rows("user_moment_geo_features")

    assert row["same_province"] == 1


def test_later_user_location_not_used():
    scene = geo_scene(BEIJING, SHANGHAI)
    scene.moments[0].create_time = hour(6)  # posted after the event at hour 5

    (row,) = scene.feature_rows("user_moment_geo_features")

    assert row["distance_missing"] == 1
