"""Demo pictures: a small pool of image files whose content depends on the moment type.

The generator writes ``images/`` next to the exports:

- ``images/pool/<type>/<n>.<ext>``: pictures drawn for one type (2 to 5);
- ``images/pool/mixed/<n>.<ext>``: ambiguous pictures, blends of two types;
- ``images/manifest.tsv``: one line ``<picture URL>\\t<file path relative to images/>``
  per picture URL of the export.

Many URLs share one pool file, so 100,000 moments with about 250,000 picture
URLs need only a few thousand small files. The image store reads the manifest
to find a URL's file in this local mirror (see moment_pipelines/resources/images.py).

What a picture of each type looks like (all with colour jitter, pixel noise
and a random horizontal flip):

- 2 图文日常: grey-blue indoor tones with light horizontal bars, like a screen or a page;
- 3 美食探店: a warm red-orange background with a cream plate and food on it;
- 4 旅行风景: a blue sky over a green-brown ground with a dark mountain;
- 5 萌宠: a beige background with a brown furry head, two ears and two eyes.

Type 1 (纯文字) moments have no pictures.
"""

import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .moments import Moments

IMAGES_DIR_NAME = "images"
MANIFEST_NAME = "manifest.tsv"
MIXED_POOL = "mixed"
PICTURE_TYPES = (2, 3, 4, 5)

# Pool size per type grows with the export: 100,000 moments get 400 files per type.
MIN_POOL_PER_TYPE = 16
MAX_POOL_PER_TYPE = 400
MOMENTS_PER_POOL_FILE = 250
MIXED_POOL_SHARE = 0.5  # mixed pool size relative to one type's pool

AMBIGUOUS_SHARE = 0.2  # share of picture URLs mapped to a mixed (two-type) picture
MISSING_SHARE = 0.02  # share of picture URLs left out of the manifest, so the mirror has no file for them
CORRUPT_PER_POOL = 1  # files per pool cut to half their bytes, so decoding them fails

SIDE_CHOICES = (64, 80, 96)  # pixels; pictures are square
NOISE_SIGMA = 14.0  # standard deviation of the per-pixel noise, on the 0-255 scale
FORMATS = (("webp", "WEBP"), ("jpg", "JPEG"), ("png", "PNG"))


@dataclass(frozen=True)
class DemoImages:
    """The written image folder and its counts."""

    directory: Path
    pool_files: int
    mapped_urls: int
    missing_urls: int


def pool_size_for(n_moments: int) -> int:
    """Return the number of pool files per type for an export of n_moments moments."""
    return int(np.clip(n_moments // MOMENTS_PER_POOL_FILE, MIN_POOL_PER_TYPE, MAX_POOL_PER_TYPE))


def write_demo_images(rng: np.random.Generator, moments: Moments, out_dir: Path) -> tuple[Path, DemoImages]:
    """Draw the picture pool and the URL manifest into a temporary folder inside out_dir.

    Returns the temporary folder and the counts; `install_images` moves it to
    out_dir/images. The caller removes the folder if a later step fails.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{IMAGES_DIR_NAME}.", suffix=".tmp", dir=out_dir))
    per_type = pool_size_for(len(moments))
    pools = {moment_type: _write_pool(rng, staging, str(moment_type), per_type, [moment_type]) for moment_type in PICTURE_TYPES}
    mixed_size = max(1, int(per_type * MIXED_POOL_SHARE))
    pools[MIXED_POOL] = _write_pool(rng, staging, MIXED_POOL, mixed_size, None)

    mapped, missing = _write_manifest(rng, moments, pools, staging / MANIFEST_NAME)
    pool_files = sum(len(files) for files in pools.values())
    return staging, DemoImages(directory=out_dir / IMAGES_DIR_NAME, pool_files=pool_files, mapped_urls=mapped, missing_urls=missing)


def install_images(staging: Path, out_dir: Path) -> None:
    """Replace out_dir/images with the staging folder; the old folder is removed after the swap."""
    target = out_dir / IMAGES_DIR_NAME
    previous = None
    if target.exists():
        previous = out_dir / f".{IMAGES_DIR_NAME}.old.{os.getpid()}"
        os.replace(target, previous)
    os.replace(staging, target)
    target.chmod(0o755)
    if previous is not None:
        shutil.rmtree(previous)


def _write_pool(
    rng: np.random.Generator, staging: Path, name: str, size: int, types: list[int] | None
) -> list[str]:
    """Write `size` pictures of the given type, or blends of two random types when `types` is None."""
    folder = staging / "pool" / name
    folder.mkdir(parents=True)
    files = []
    for index in range(size):
        side = SIDE_CHOICES[int(rng.integers(len(SIDE_CHOICES)))]
        if types is None:
            first, second = rng.choice(PICTURE_TYPES, size=2, replace=False)
            weight = rng.uniform(0.4, 0.6)
            pixels = weight * _draw_picture(rng, int(first), side) + (1 - weight) * _draw_picture(rng, int(second), side)
        else:
            pixels = _draw_picture(rng, types[0], side)
        pixels = pixels + rng.normal(0.0, NOISE_SIGMA, size=pixels.shape)
        if rng.random() < 0.5:
            pixels = pixels[:, ::-1]

        extension, image_format = FORMATS[index % len(FORMATS)]
        relative = f"pool/{name}/{index:04d}.{extension}"
        encoded = _encode(np.clip(pixels, 0, 255).astype(np.uint8), image_format)
        if index < CORRUPT_PER_POOL:
            encoded = encoded[: len(encoded) // 2]
        (staging / relative).write_bytes(encoded)
        files.append(relative)
    return files


def _encode(pixels: np.ndarray, image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(buffer, format=image_format, quality=80)
    return buffer.getvalue()


def _write_manifest(
    rng: np.random.Generator, moments: Moments, pools: dict, path: Path
) -> tuple[int, int]:
    """Map every picture URL to a pool file of its moment's type (or the mixed pool); leave a few out."""
    url_types = np.repeat(moments.type, moments.picture_count)
    draw = rng.random(len(url_types))
    position = rng.random(len(url_types))

    lines = []
    missing = 0
    urls = (url for pictures in moments.pictures for url in pictures)
    for url, moment_type, u, p in zip(urls, url_types.tolist(), draw.tolist(), position.tolist()):
        if u < MISSING_SHARE:
            missing += 1
            continue
        pool = pools[MIXED_POOL] if u < MISSING_SHARE + AMBIGUOUS_SHARE else pools[moment_type]
        lines.append(f"{url}\t{pool[int(p * len(pool))]}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return len(lines), missing


def _draw_picture(rng: np.random.Generator, moment_type: int, side: int) -> np.ndarray:
    """Return a (side, side, 3) float picture of the given type, before noise."""
    y, x = np.mgrid[0:side, 0:side] / side  # both in [0, 1)
    jitter = rng.uniform(0.8, 1.2, size=3)
    if moment_type == 2:
        return _indoor(rng, y, x) * jitter
    if moment_type == 3:
        return _food(rng, y, x) * jitter
    if moment_type == 4:
        return _landscape(rng, y, x) * jitter
    if moment_type == 5:
        return _pet(rng, y, x) * jitter
    raise ValueError(f"no picture style for moment type {moment_type}")


def _fill(shape: tuple[int, int], colour) -> np.ndarray:
    return np.broadcast_to(np.asarray(colour, dtype=np.float64), (*shape, 3)).copy()


def _indoor(rng, y, x) -> np.ndarray:
    picture = _fill(y.shape, (120, 130, 150)) * (0.8 + 0.4 * y[..., None])
    for _ in range(int(rng.integers(2, 5))):
        top = rng.uniform(0.1, 0.85)
        bar = (y > top) & (y < top + 0.06) & (x > 0.15) & (x < rng.uniform(0.5, 0.9))
        picture[bar] = (225, 228, 235)
    return picture


def _food(rng, y, x) -> np.ndarray:
    picture = _fill(y.shape, (200, 90, 40))
    cy, cx = rng.uniform(0.4, 0.6, size=2)
    distance = np.hypot(y - cy, x - cx)
    picture[distance < 0.38] = (240, 230, 205)
    picture[distance < 0.24] = (190, 110, 30)
    for _ in range(int(rng.integers(3, 7))):
        dy, dx = rng.uniform(-0.15, 0.15, size=2)
        picture[np.hypot(y - cy - dy, x - cx - dx) < 0.04] = (110, 160, 60)
    return picture


def _landscape(rng, y, x) -> np.ndarray:
    horizon = rng.uniform(0.45, 0.65)
    sky = _fill(y.shape, (110, 170, 235)) * (0.75 + 0.35 * y[..., None])
    ground = _fill(y.shape, (80, 140, 60)) * (1.1 - 0.3 * y[..., None])
    picture = np.where((y < horizon)[..., None], sky, ground)
    peak, half_width = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.4)
    mountain = (y < horizon) & (y > horizon - (half_width - np.abs(x - peak)) * 1.2)
    picture[mountain] = (70, 80, 95)
    return picture


def _pet(rng, y, x) -> np.ndarray:
    picture = _fill(y.shape, (225, 205, 170))
    cy, cx = rng.uniform(0.5, 0.6), rng.uniform(0.4, 0.6)
    head = ((y - cy) / 0.3) ** 2 + ((x - cx) / 0.34) ** 2 < 1
    fur = rng.uniform(0.85, 1.15, size=y.shape)[..., None]
    picture = np.where(head[..., None], np.asarray((150, 95, 50)) * fur, picture)
    for side in (-1, 1):
        ear_x = cx + side * 0.2
        ear = (y < cy - 0.15) & (y > cy - 0.42 + 2.0 * np.abs(x - ear_x))
        picture[ear] = (120, 75, 40)
        picture[np.hypot(y - cy + 0.05, x - cx - side * 0.11) < 0.045] = (25, 20, 15)
    return picture
