"""The demo picture pool: separate random stream, URL manifest, type-dependent content and planted failures."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from moment_pipelines.demo import generate
from moment_pipelines.demo.images import AMBIGUOUS_SHARE, CORRUPT_PER_POOL, MANIFEST_NAME, MISSING_SHARE, PICTURE_TYPES

MOMENTS = 2_000
SEED = 5
EXPORTS = ("moments.json", "likes.json", "comments.json")


@pytest.fixture(scope="module")
def with_images(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("with_images"), n_moments=MOMENTS, seed=SEED, show_progress=False)


@pytest.fixture(scope="module")
def manifest(with_images) -> dict[str, str]:
    lines = (with_images.images.directory / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t") for line in lines)


@pytest.fixture(scope="module")
def moments(with_images) -> list[dict]:
    with with_images.moments_path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_exports_unchanged_by_images(with_images, tmp_path):
    without = generate(tmp_path, n_moments=MOMENTS, seed=SEED, show_progress=False, images=False)

    assert without.images is None
    assert not (tmp_path / "images").exists()
    for name in EXPORTS:
        assert _md5(tmp_path / name) == _md5(with_images.moments_path.parent / name), name


def test_manifest_covers_picture_urls(manifest, moments, with_images):
    urls = [url for moment in moments for url in moment["pics"]]
    missing = len(urls) - len(manifest)

    assert set(manifest) <= set(urls)
    assert with_images.images.mapped_urls == len(manifest)
    assert with_images.images.missing_urls == missing
    assert 0 < missing / len(urls) < 2 * MISSING_SHARE


def test_pictures_follow_moment_type(manifest, moments):
    mixed = 0
    for moment in moments:
        for url in moment["pics"]:
            if url not in manifest:
                continue
            pool = manifest[url].split("/")[1]
            if pool == "mixed":
                mixed += 1
            else:
                assert int(pool) == moment["type"], url

    assert moment_types_with_pictures(moments) == set(PICTURE_TYPES)
    assert 0.5 * AMBIGUOUS_SHARE < mixed / len(manifest) < 1.5 * AMBIGUOUS_SHARE


def moment_types_with_pictures(moments: list[dict]) -> set[int]:
    return {moment["type"] for moment in moments if moment["pics"]}


def test_text_only_moments_have_no_pictures(moments):
    assert all(not moment["pics"] for moment in moments if moment["type"] == 1)


def test_pool_files_decode_except_planted(with_images):
    pool = with_images.images.directory / "pool"
    failed = []
    sides = set()
    for path in sorted(pool.rglob("*.*")):
        try:
            with Image.open(path) as image:
                image.load()
                sides.add(image.size)
        except OSError:
            failed.append(path.relative_to(pool).parent.name)

    assert sorted(failed) == sorted([*map(str, PICTURE_TYPES), "mixed"] * CORRUPT_PER_POOL)
    assert sides <= {(64, 64), (80, 80), (96, 96)}


def test_type_colours_differ(with_images):
    # The mean colour of a pool separates the types: food is red, landscapes are blue-green.
    pool = with_images.images.directory / "pool"
    means = {}
    for moment_type in PICTURE_TYPES:
        pixels = []
        for path in sorted((pool / str(moment_type)).iterdir())[CORRUPT_PER_POOL:]:
            with Image.open(path) as image:
                pixels.append(np.asarray(image.convert("RGB"), dtype=np.float64).reshape(-1, 3).mean(axis=0))
        means[moment_type] = np.mean(pixels, axis=0)

    assert means[3][0] > means[3][2] + 60  # food: red well above blue
    assert means[4][2] > means[3][2] + 20  # landscape: more blue than food
    assert means[2][2] > means[2][0]  # indoor: blue-grey


def test_mirror_stays_small(with_images):
    size = sum(path.stat().st_size for path in with_images.images.directory.rglob("*") if path.is_file())

    assert size < 2_000_000
