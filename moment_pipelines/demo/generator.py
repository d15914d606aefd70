"""generate(): draw users, moments, likes and comments and write the three export files."""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .engagement import EngagerSampler, draw_like_rates, make_comments, make_likes
from .export import comment_lines, like_lines, moment_lines, write_temporary
from .images import DemoImages, install_images, write_demo_images
from .moments import make_moments
from .population import make_favourite_authors, make_users, user_count_for

DEFAULT_MOMENTS = 100_000
DEFAULT_SEED = 20250101

EXPORT_FILE_NAMES = ("moments.json", "likes.json", "comments.json")


@dataclass(frozen=True)
class DemoSummary:
    """Counts and file paths of one generated demo export."""

    moments: int
    likes: int
    comments: int
    users: int
    moments_path: Path
    likes_path: Path
    comments_path: Path
    images: DemoImages | None = None  # None when generated with images=False


def export_paths(out_dir: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
    """Return the paths of moments.json, likes.json and comments.json in out_dir."""
    directory = Path(out_dir)
    moments_path, likes_path, comments_path = (directory / name for name in EXPORT_FILE_NAMES)
    return moments_path, likes_path, comments_path


def generate(
    out_dir: str | os.PathLike[str],
    n_moments: int = DEFAULT_MOMENTS,
    seed: int = DEFAULT_SEED,
    *,
    show_progress: bool = True,
    images: bool = True,
) -> DemoSummary:
    """Generate a demo export of n_moments moments into out_dir and return its summary.

    Users, likes and comments scale with n_moments: about 0.21 users (at least
    50), 10 likes and 1.5 comments per moment. The same seed and n_moments give
    byte-identical files. Existing files are replaced only after all three are
    written, each with os.replace.
    """
    _validate_arguments(n_moments, seed)
    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)

    # One independent stream per stage, so a change in one stage does not shift
    # the random numbers of the others. A child's stream depends only on its
    # position, so the eighth (pictures) leaves the first seven unchanged.
    (
        users_rng,
        moments_rng,
        moment_text_rng,
        rate_rng,
        likes_rng,
        comments_rng,
        comment_text_rng,
        pictures_rng,
    ) = (np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(8))

    users = make_users(users_rng, user_count_for(n_moments))
    moments = make_moments(moments_rng, moment_text_rng, users, n_moments, show_progress)
    posts_per_user = np.bincount(moments.author, minlength=len(users))
    favourites = make_favourite_authors(users_rng, users, posts_per_user)

    sampler = EngagerSampler(users, favourites)
    like_rates = draw_like_rates(rate_rng, moments, users)
    likes = make_likes(likes_rng, moments, users, sampler, like_rates)
    comments = make_comments(comments_rng, comment_text_rng, moments, users, sampler, like_rates, show_progress)

    like_count = np.bincount(likes.moment, minlength=n_moments)
    last_like_ms = np.zeros(n_moments, dtype=np.int64)
    np.maximum.at(last_like_ms, likes.moment, likes.action_ms)
    update_ms = np.maximum(moments.create_ms, last_like_ms)

    moments_path, likes_path, comments_path = export_paths(out_path)
    exports = [
        (moments_path, moment_lines(moments, users, like_count.tolist(), update_ms.tolist()), n_moments),
        (likes_path, like_lines(likes, moments, users), len(likes.id)),
        (comments_path, comment_lines(comments, moments, users), len(comments.id)),
    ]
    image_staging, demo_images = write_demo_images(pictures_rng, moments, out_path) if images else (None, None)
    try:
        _write_all(exports, show_progress)
        if image_staging is not None:
            install_images(image_staging, out_path)
    finally:
        if image_staging is not None and image_staging.exists():
            shutil.rmtree(image_staging)

    return DemoSummary(
        moments=n_moments,
        likes=len(likes.id),
        comments=len(comments.id),
        users=len(users),
        moments_path=moments_path,
        likes_path=likes_path,
        comments_path=comments_path,
        images=demo_images,
    )


def _write_all(exports: list[tuple[Path, Iterator[str], int]], show_progress: bool) -> None:
    """Write every export to a temporary file first, then move all of them into place.

    A failure while writing leaves the previous files untouched and removes the
    temporary files already written.
    """
    temporaries: list[Path] = []
    try:
        for path, lines, total in exports:
            temporaries.append(write_temporary(path, lines, total, show_progress))
    except BaseException:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        raise

    for temporary, (path, _, _) in zip(temporaries, exports):
        os.replace(temporary, path)


def _validate_arguments(n_moments: int, seed: int) -> None:
    if isinstance(n_moments, bool) or not isinstance(n_moments, int) or n_moments < 1:
        raise ValueError(f"动态条数必须是正整数，收到 {n_moments!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"随机种子必须是非负整数，收到 {seed!r}")
