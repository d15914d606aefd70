"""Tests of the demo-data generator on small exports written to temporary directories."""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from moment_pipelines.demo import DemoSummary, generate
from moment_pipelines.demo.__main__ import main
from moment_pipelines.demo.images import DemoImages

REPO_ROOT = Path(__file__).resolve().parents[1]
FILE_NAMES = ("moments.json", "likes.json", "comments.json")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EXPORT_START = "2024-12-31T16:00:00.000Z"
EXPORT_END = "2025-06-30T16:00:00.000Z"

SMALL_MOMENTS = 500
SIGNAL_MOMENTS = 3000
SEED = 7


def read_lines(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def parse_date(value: dict) -> datetime:
    return datetime.fromisoformat(value["$date"])


def local_hour(moment: dict) -> int:
    return (parse_date(moment["createTime"]).hour + 8) % 24


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> DemoSummary:
    return generate(tmp_path_factory.mktemp("small"), n_moments=SMALL_MOMENTS, seed=SEED, show_progress=False)


@pytest.fixture(scope="module")
def moments(small) -> list[dict]:
    return read_lines(small.moments_path)


@pytest.fixture(scope="module")
def likes(small) -> list[dict]:
    return read_lines(small.likes_path)


@pytest.fixture(scope="module")
def comments(small) -> list[dict]:
    return read_lines(small.comments_path)


@pytest.fixture(scope="module")
def moments_by_id(moments) -> dict[int, dict]:
    return {moment["_id"]: moment for moment in moments}


@pytest.fixture(scope="module")
def signal_moments(tmp_path_factory) -> list[dict]:
    summary = generate(tmp_path_factory.mktemp("signal"), n_moments=SIGNAL_MOMENTS, seed=SEED, show_progress=False)
    return read_lines(summary.moments_path)


def test_same_seed_identical_files(small, tmp_path):
    again = generate(tmp_path, n_moments=SMALL_MOMENTS, seed=SEED, show_progress=False)
    for name in FILE_NAMES:
        assert (tmp_path / name).read_bytes() == (small.moments_path.parent / name).read_bytes(), name
    assert again == DemoSummary(
        moments=small.moments,
        likes=small.likes,
        comments=small.comments,
        users=small.users,
        moments_path=tmp_path / "moments.json",
        likes_path=tmp_path / "likes.json",
        comments_path=tmp_path / "comments.json",
        images=DemoImages(
            directory=tmp_path / "images",
            pool_files=small.images.pool_files,
            mapped_urls=small.images.mapped_urls,
            missing_urls=small.images.missing_urls,
        ),
    )
    assert (tmp_path / "images" / "manifest.tsv").read_bytes() == (small.images.directory / "manifest.tsv").read_bytes()


def test_other_seed_different_files(small, tmp_path):
    generate(tmp_path, n_moments=SMALL_MOMENTS, seed=SEED + 1, show_progress=False)
    for name in FILE_NAMES:
        assert (tmp_path / name).read_bytes() != (small.moments_path.parent / name).read_bytes(), name


def test_lines_parse_as_json(small):
    for name in FILE_NAMES:
        with (small.moments_path.parent / name).open(encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                assert isinstance(json.loads(line), dict), f"{name}:{number}"


def test_lines_use_json_dumps_layout(small):
    for name in FILE_NAMES:
        with (small.moments_path.parent / name).open(encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                assert line == json.dumps(json.loads(line), ensure_ascii=False) + "\n", f"{name}:{number}"


def test_summary_counts_match_files(small, moments, likes, comments):
    assert small.moments == len(moments)
    assert small.likes == len(likes)
    assert small.comments == len(comments)


def test_sizes_scale_with_moments(small):
    assert small.users == 105
    assert small.likes > 5 * SMALL_MOMENTS
    assert small.likes < 15 * SMALL_MOMENTS
    assert small.comments > 0.5 * SMALL_MOMENTS
    assert small.comments < 3 * SMALL_MOMENTS


def test_tiny_size_has_min_users(tmp_path):
    summary = generate(tmp_path, n_moments=5, seed=SEED, show_progress=False)
    assert summary.users == 50
    assert summary.moments == 5


def test_ids_unique(moments, likes, comments):
    for name, documents in (("moments", moments), ("likes", likes), ("comments", comments)):
        ids = [document["_id"] for document in documents]
        assert len(set(ids)) == len(ids), name


def test_id_digit_counts(moments, likes, comments):
    for name, documents, digits in (("moments", moments, 13), ("likes", likes, 14), ("comments", comments, 13)):
        for document in documents:
            assert document["_id"] > 0, name
            assert document["_id"] < 2**53, name
            assert len(str(document["_id"])) == digits, name


def test_uids_have_ten_digits(moments, likes, comments):
    uids = [m["uid"] for m in moments] + [l["uid"] for l in likes] + [c["uid"] for c in comments]
    uids += [c["toUid"] for c in comments]
    for uid in uids:
        assert len(str(uid)) == 10


def test_moment_keys_in_schema_order(moments):
    expected = [
        "_id", "uid", "type", "location", "text", "pics", "mentions", "status", "createTime", "mentioned",
        "needPay", "visibleType", "visibleUids", "ip", "ipLocation", "_class", "updateTime", "likeCount",
    ]  # fmt: skip
    without_location = [key for key in expected if key != "location"]
    for moment in moments:
        assert list(moment) == (expected if "location" in moment else without_location), moment["_id"]


def test_like_and_comment_keys(likes, comments):
    comment_keys = [
        "_id", "momentId", "uid", "toUid", "content", "publishTime", "status", "publicationContent", "ip",
        "ipLocation", "_class",
    ]  # fmt: skip
    for like in likes:
        assert list(like) == ["_id", "momentId", "uid", "actionTime", "_class"]
    for comment in comments:
        assert list(comment) == comment_keys


def test_dates_mongoexport_format(moments, likes, comments):
    dates = [m["createTime"] for m in moments] + [m["updateTime"] for m in moments]
    dates += [l["actionTime"] for l in likes] + [c["publishTime"] for c in comments]
    for value in dates:
        assert list(value) == ["$date"]
        assert DATE_PATTERN.match(value["$date"]), value


def test_times_within_export(moments, likes, comments):
    instants = [m["createTime"]["$date"] for m in moments] + [l["actionTime"]["$date"] for l in likes]
    instants += [c["publishTime"]["$date"] for c in comments]
    for instant in instants:
        assert EXPORT_START <= instant, instant
        assert instant <= EXPORT_END, instant


def test_like_count_matches_likes(moments, likes):
    counted = Counter(like["momentId"] for like in likes)
    for moment in moments:
        assert moment["likeCount"] == counted[moment["_id"]], moment["_id"]


def test_likes_reference_moments(likes, moments_by_id):
    for like in likes:
        assert like["momentId"] in moments_by_id


def test_likes_after_moment(likes, moments_by_id):
    for like in likes:
        moment = moments_by_id[like["momentId"]]
        assert parse_date(like["actionTime"]) > parse_date(moment["createTime"]), like["_id"]


def test_comments_after_moment(comments, moments_by_id):
    for comment in comments:
        moment = moments_by_id[comment["momentId"]]
        assert parse_date(comment["publishTime"]) > parse_date(moment["createTime"]), comment["_id"]


def test_no_self_likes(likes, moments_by_id):
    for like in likes:
        assert like["uid"] != moments_by_id[like["momentId"]]["uid"], like["_id"]


def test_no_duplicate_likes(likes):
    pairs = Counter((like["uid"], like["momentId"]) for like in likes)
    assert max(pairs.values()) == 1


def test_update_time_is_last_activity(moments, likes):
    last_like: dict[int, datetime] = {}
    for like in likes:
        when = parse_date(like["actionTime"])
        last_like[like["momentId"]] = max(when, last_like.get(like["momentId"], when))
    for moment in moments:
        created = parse_date(moment["createTime"])
        expected = max(created, last_like.get(moment["_id"], created))
        assert parse_date(moment["updateTime"]) == expected, moment["_id"]


def test_to_uid_is_author_or_earlier_commenter(comments, moments_by_id):
    earlier: dict[int, set[int]] = {}
    replies = 0
    for comment in sorted(comments, key=lambda c: c["publishTime"]["$date"]):
        author = moments_by_id[comment["momentId"]]["uid"]
        commenters = earlier.setdefault(comment["momentId"], set())
        if comment["toUid"] != author:
            replies += 1
            assert comment["toUid"] in commenters, comment["_id"]
        commenters.add(comment["uid"])
    assert replies > 0


def test_comment_content_matches_publication(comments):
    for comment in comments:
        assert comment["publicationContent"]["text"] == comment["content"]
        assert comment["publicationContent"]["commentType"] == (2 if comment["publicationContent"]["pics"] else 1)


def test_moment_fields_consistent(moments):
    for moment in moments:
        assert moment["type"] in {1, 2, 3, 4, 5}
        assert len(moment["pics"]) <= 9
        assert (moment["type"] == 1) == (len(moment["pics"]) == 0), moment["_id"]
        assert moment["mentioned"] == bool(moment["mentions"])
        assert re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", moment["ip"]), moment["ip"]


def test_location_share_near_sixty_percent(signal_moments):
    share = sum("location" in moment for moment in signal_moments) / len(signal_moments)
    assert share > 0.55
    assert share < 0.65


def test_pictures_get_more_likes(signal_moments):
    with_pictures = [m["likeCount"] for m in signal_moments if m["pics"]]
    without_pictures = [m["likeCount"] for m in signal_moments if not m["pics"]]
    assert sum(with_pictures) / len(with_pictures) > 1.5 * sum(without_pictures) / len(without_pictures)


def test_evening_beats_early_morning(signal_moments):
    evening = [m["likeCount"] for m in signal_moments if 19 <= local_hour(m) < 23]
    early = [m["likeCount"] for m in signal_moments if 2 <= local_hour(m) < 6]
    assert sum(evening) / len(evening) > sum(early) / len(early)


def test_evening_has_more_posts(signal_moments):
    hours = Counter(local_hour(m) for m in signal_moments)
    assert sum(hours[h] for h in range(19, 23)) > 5 * sum(hours[h] for h in range(2, 6))


def test_if_missing_keeps_files(small, capsys):
    out_dir = small.moments_path.parent
    before = {name: ((out_dir / name).read_bytes(), (out_dir / name).stat().st_mtime_ns) for name in FILE_NAMES}
    assert main(["--out", str(out_dir), "--moments", "50", "--if-missing"]) == 0
    for name in FILE_NAMES:
        assert (out_dir / name).read_bytes() == before[name][0], name
        assert (out_dir / name).stat().st_mtime_ns == before[name][1], name
    assert "跳过生成" in capsys.readouterr().out


def test_if_missing_generates_when_absent(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--moments", "50", "--if-missing"]) == 0
    for name in FILE_NAMES:
        assert (tmp_path / name).is_file(), name
    assert "动态 50 条" in capsys.readouterr().out


def test_no_temporary_files_left(small):
    leftovers = [path.name for path in small.moments_path.parent.iterdir() if path.name not in (*FILE_NAMES, "images")]
    assert leftovers == []


def test_cli_rejects_zero_moments(tmp_path):
    with pytest.raises(SystemExit) as raised:
        main(["--out", str(tmp_path), "--moments", "0"])
    assert raised.value.code == 2


def test_generate_rejects_zero_moments(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, n_moments=0, show_progress=False)


def test_cli_default_out_dir(tmp_path):
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    completed = subprocess.run(
        [sys.executable, "-m", "moment_pipelines.demo", "--moments", "100", "--seed", "3"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    for name in FILE_NAMES:
        assert (tmp_path / "data" / "demo" / name).is_file(), name
    assert "点赞" in completed.stdout
