"""Feature-group SQL on small hand-made stg_moments tables, with exact expected values."""

import math
import random
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from moment_pipelines.features import FEATURE_GROUPS

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)

# The groups that read only stg_moments, so they run on the hand-made table below.
SCENARIO_ONE_GROUPS = ("moment_content_features", "moment_time_features", "author_history_features")


def day(days: float) -> datetime:
    return T0 + timedelta(days=days)


def staged(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    """Return an in-memory DuckDB with a stg_moments table holding `rows` (missing columns get defaults)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        """
        CREATE TABLE stg_moments (
            moment_id BIGINT, uid BIGINT, type BIGINT, text VARCHAR, pics VARCHAR[], like_count BIGINT,
            create_time TIMESTAMPTZ, pic_count BIGINT, has_pics BOOLEAN,
            create_hour_local BIGINT, create_weekday_local BIGINT
        )
        """
    )
    for row in rows:
        pics = row.get("pics", [])
        con.execute(
            "INSERT INTO stg_moments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row["moment_id"],
                row.get("uid", 1),
                row.get("type", 1),
                row.get("text", ""),
                pics,
                row.get("like_count", 0),
                row["create_time"],
                len(pics),
                len(pics) > 0,
                row.get("hour", 12),
                row.get("weekday", 3),
            ],
        )
    return con


def build(con: duckdb.DuckDBPyConnection, group_name: str) -> dict[int, dict]:
    """Run one feature group's SQL and return its rows keyed by moment_id."""
    con.execute(FEATURE_GROUPS[group_name].sql)
    frame = con.execute(f"SELECT * FROM {group_name} ORDER BY moment_id").fetchdf()
    return {int(row["moment_id"]): row for row in frame.to_dict("records")}


def shrunk(n: int, author_value: float, platform_value: float) -> float:
    """The documented shrinkage with a prior strength of 5 moments."""
    return (n * author_value + 5 * platform_value) / (n + 5)


# Author 1 posts moments 1-4; moments 2 and 3 share one instant. Author 2 posts
# moment 5, and moment 6 is a later, extremely popular post by author 1.
HISTORY = [
    {"moment_id": 1, "uid": 1, "create_time": day(0), "like_count": 10},
    {"moment_id": 2, "uid": 1, "create_time": day(5), "like_count": 20},
    {"moment_id": 3, "uid": 1, "create_time": day(5), "like_count": 90},
    {"moment_id": 4, "uid": 1, "create_time": day(9), "like_count": 4},
    {"moment_id": 5, "uid": 2, "create_time": day(6), "like_count": 1},
]
LATER_HIT = {"moment_id": 6, "uid": 1, "create_time": day(30), "like_count": 100_000}


@pytest.fixture(scope="module")
def author_history() -> dict[int, dict]:
    return build(staged(HISTORY), "author_history_features")


def test_first_moment_has_no_history(author_history):
    first = author_history[1]

    assert first["author_prior_moments"] == 0
    assert first["author_settled_moments"] == 0
    assert first["days_since_author_first_moment"] == 0
    # Nothing on the platform is 3 days old yet, so no platform value exists.
    assert math.isnan(first["platform_mean_likes"])  # SQL NULL arrives as NaN
    assert math.isnan(first["author_mean_likes"])


def test_same_instant_moments_do_not_see_each_other(author_history):
    for moment_id in (2, 3):
        row = author_history[moment_id]
        assert row["author_prior_moments"] == 1
        assert row["author_settled_moments"] == 1
        assert row["platform_mean_likes"] == 10
        assert row["author_mean_likes"] == pytest.approx(shrunk(1, 10, 10))
        assert row["days_since_author_first_moment"] == pytest.approx(5)


def test_likes_of_unsettled_moments_are_not_used(author_history):
    # Day 9: moments 2 and 3 (day 5) are 4 days old and author 2's moment 5 (day 6)
    # exactly 3 days, so all of them have settled.
    row = author_history[4]

    assert row["author_prior_moments"] == 3
    assert row["author_settled_moments"] == 3
    assert row["platform_mean_likes"] == pytest.approx((10 + 20 + 90 + 1) / 4)
    assert row["platform_median_likes"] == 15
    assert row["author_mean_likes"] == pytest.approx(shrunk(3, 40, 30.25))
    assert row["author_median_likes"] == pytest.approx(shrunk(3, 20, 15))


def test_recent_moments_count_but_their_likes_do_not():
    # Moment 8 comes one day after moment 7: 7 is an earlier moment, but its likes are still growing.
    rows = [
        {"moment_id": 1, "uid": 9, "create_time": day(0), "like_count": 6},
        {"moment_id": 7, "uid": 1, "create_time": day(10), "like_count": 500},
        {"moment_id": 8, "uid": 1, "create_time": day(11), "like_count": 3},
    ]
    history = build(staged(rows), "author_history_features")

    assert history[8]["author_prior_moments"] == 1
    assert history[8]["author_settled_moments"] == 0
    assert history[8]["author_mean_likes"] == pytest.approx(6)  # the platform mean, not 500


def test_other_authors_only_move_the_platform_value(author_history):
    row = author_history[5]  # author 2's first moment, day 6

    assert row["author_prior_moments"] == 0
    assert row["author_settled_moments"] == 0
    assert row["platform_mean_likes"] == pytest.approx(10)  # moments 2 and 3 are 1 day old: not settled
    assert row["author_mean_likes"] == pytest.approx(10)


def test_later_moment_changes_no_earlier_row(author_history):
    with_later_hit = build(staged([*HISTORY, LATER_HIT]), "author_history_features")

    for moment_id, row in author_history.items():
        assert with_later_hit[moment_id] == pytest.approx(row, nan_ok=True), f"moment {moment_id} changed"
    assert with_later_hit[6]["author_prior_moments"] == 4


def test_minutes_since_previous_moment():
    rows = [
        {"moment_id": 1, "uid": 1, "create_time": T0},
        {"moment_id": 2, "uid": 1, "create_time": T0 + timedelta(minutes=90)},
        {"moment_id": 3, "uid": 1, "create_time": T0 + timedelta(minutes=90)},
        {"moment_id": 4, "uid": 1, "create_time": T0 + timedelta(minutes=100)},
        {"moment_id": 5, "uid": 2, "create_time": T0 + timedelta(minutes=100)},
    ]
    times = build(staged(rows), "moment_time_features")

    assert math.isnan(times[1]["minutes_since_previous_moment"])  # first moment: SQL NULL
    assert times[2]["minutes_since_previous_moment"] == 90
    assert times[3]["minutes_since_previous_moment"] == 90  # its twin at the same instant is not "previous"
    assert times[4]["minutes_since_previous_moment"] == 10
    assert math.isnan(times[5]["minutes_since_previous_moment"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {"text_length": 0, "emoji_count": 0, "hashtag_count": 0, "url_count": 0, "mention_count": 0}),
        ("好吃😋🍲", {"text_length": 4, "emoji_count": 2}),
        ("出发✈️ 累了😮‍💨 👍🏽", {"emoji_count": 3}),
        ("[哈哈][doge]好开心", {"emoji_count": 1}),
        ("#美食探店##今天吃什么# 价格 #1 和 #2", {"hashtag_count": 2}),
        ("看 https://t.cn/A6x?x=1 和 http://a.b/c。完", {"url_count": 2}),
        ("@小明 @Tom_2 你们好，邮件 me@example.com", {"mention_count": 2}),
    ],
)
def test_content_counts(text, expected):
    content = build(staged([{"moment_id": 1, "create_time": T0, "text": text}]), "moment_content_features")[1]

    for column, value in expected.items():
        assert content[column] == value, column


def test_content_pictures_and_type():
    rows = [
        {"moment_id": 1, "create_time": T0, "type": 4, "pics": ["a.webp", "b.webp"]},
        {"moment_id": 2, "create_time": T0, "type": 1},
    ]
    content = build(staged(rows), "moment_content_features")

    assert (content[1]["has_pics"], content[1]["pic_count"], content[1]["type"]) == (True, 2, 4)
    assert (content[2]["has_pics"], content[2]["pic_count"], content[2]["type"]) == (False, 0, 1)


@pytest.mark.parametrize("group_name", SCENARIO_ONE_GROUPS)
def test_sql_columns_match_registry(group_name):
    group = FEATURE_GROUPS[group_name]
    con = staged(HISTORY)
    con.execute(group.sql)

    columns = [row[0] for row in con.execute(f"SELECT column_name FROM (DESCRIBE {group.name})").fetchall()]

    assert columns == group.column_names


def settled_reference(rows: list[dict], moment: dict) -> dict:
    """Compute the author-history like statistics of `moment` by scanning every row, as the definition reads."""
    cut_off = moment["create_time"] - timedelta(days=3)
    platform = sorted(
        other["like_count"] for other in rows if other["create_time"] <= cut_off and other["like_count"] is not None
    )
    author = sorted(
        other["like_count"]
        for other in rows
        if other["uid"] == moment["uid"] and other["create_time"] <= cut_off and other["like_count"] is not None
    )

    def median(values: list[int]) -> float | None:
        if not values:
            return None
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2

    platform_mean = sum(platform) / len(platform) if platform else None
    platform_median = median(platform)
    n = len(author)
    return {
        "author_settled_moments": n,
        "platform_mean_likes": platform_mean,
        "platform_median_likes": platform_median,
        "author_mean_likes": None if platform_mean is None else shrunk(n, sum(author) / n if n else 0, platform_mean),
        "author_median_likes": None if platform_median is None else shrunk(n, median(author) or 0, platform_median),
    }


def test_settled_statistics_match_a_full_scan():
    # Few authors, whole-hour times so that many moments share an instant, and some NULL like counts.
    generator = random.Random(3)
    rows = [
        {
            "moment_id": moment_id,
            "uid": generator.randint(1, 4),
            "create_time": day(generator.randint(0, 20 * 24) / 24),
            "like_count": None if generator.random() < 0.15 else generator.randint(0, 40),
        }
        for moment_id in range(1, 301)
    ]
    features = build(staged(rows), "author_history_features")

    mismatches = []
    for row in rows:
        expected = settled_reference(rows, row)
        for column, value in expected.items():
            actual = features[row["moment_id"]][column]
            actual = None if actual is None or (isinstance(actual, float) and math.isnan(actual)) else actual
            if (value is None) != (actual is None) or (value is not None and not math.isclose(actual, value)):
                mismatches.append((row["moment_id"], column, value, actual))
    assert mismatches == []
