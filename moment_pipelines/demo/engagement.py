"""Likes and comments on demo moments: their counts, times and users."""

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from .cities import CITIES, PROVINCES
from .moments import PICTURE_HOST, Moments
from .population import FavouriteAuthors, Users
from .sampling import GroupedSampler, UniformStream
from .texts import NEGATIVE, POSITIVE, compose_comment_text
from .timeline import EXPORT_END_MS, HOUR_LIKE_FACTOR, MS_PER_DAY, MS_PER_HOUR, MS_PER_SECOND, local_hour
from .topics import MOMENT_TYPES, TOPICS

LIKES_PER_MOMENT = 10.0
COMMENTS_PER_MOMENT = 1.5

# Like-rate multipliers, indexed by moment type 1..5 (index 0 unused).
TYPE_LIKE_FACTOR = np.array([0.0, 0.75, 1.0, 1.1, 1.25, 1.35])
NO_PICTURE_LIKE_FACTOR = 0.6
LIKE_FACTOR_PER_PICTURE = 0.03
SENTIMENT_LIKE_FACTOR = {POSITIVE: 1.25, NEGATIVE: 0.75}
BEST_TEXT_LENGTH = 60  # characters
LIKE_NOISE_SHAPE = 2.0  # gamma shape of the per-moment noise, where smaller means more spread

# Comment rate grows more slowly than the like rate, and some topics invite talk.
COMMENT_RATE_EXPONENT = 0.8
TOPIC_COMMENT_FACTOR = {"情感": 1.4, "节日": 1.2}

# Delay after posting: a fast exponential part within hours and a slow tail over days.
MIN_DELAY_MS = MS_PER_SECOND
LIKE_DELAY = ((0.85, 3 * MS_PER_HOUR), (0.15, 3 * MS_PER_DAY))  # (share, mean in ms)
COMMENT_DELAY = ((0.80, 2 * MS_PER_HOUR), (0.20, 2 * MS_PER_DAY))

# Sources of likers and commenters: fans of the author, users in the author's city
# or province, users whose favourite type is the moment's type, and all users.
FAN, SAME_CITY, SAME_PROVINCE, FAVOURITE_TYPE, ANYONE = range(5)
LIKER_SOURCES = np.array([0.30, 0.15, 0.10, 0.15, 0.30])
COMMENTER_SOURCES = np.array([0.40, 0.15, 0.05, 0.10, 0.30])

SELF_COMMENT_SHARE = 0.05  # top-level comments written by the author under their own moment
REPLY_SHARE = 0.10  # comments that reply to an earlier commenter
AUTHOR_REPLY_SHARE = 0.5  # replies written by the moment's author
COMMENT_PICTURE_SHARE = 0.03

LIKE_ID_START = 3_890_000_000
COMMENT_ID_START = 148_000_000
MAX_REDRAW_ROUNDS = 30


@dataclass
class Likes:
    """Per-like arrays sorted by actionTime."""

    id: np.ndarray
    moment: np.ndarray  # moment number
    user: np.ndarray  # user number of the liker
    action_ms: np.ndarray


@dataclass
class Comments:
    """Per-comment arrays sorted by publishTime."""

    id: np.ndarray
    moment: np.ndarray
    user: np.ndarray  # user number of the commenter
    to_user: np.ndarray  # user number the comment is addressed to
    publish_ms: np.ndarray
    text: list[str]
    pictures: list[list[str]]
    ip: list[str]
    ip_location: list[str]


class EngagerSampler:
    """Draws likers or commenters of moments from a mixture of sources (see LIKER_SOURCES)."""

    def __init__(self, users: Users, favourites: FavouriteAuthors) -> None:
        n_users = len(users)
        everyone = np.arange(n_users)
        weight = users.engage_activity
        self._users = users
        self._fans = GroupedSampler(favourites.author, favourites.fan, weight[favourites.fan], n_users)
        self._by_city = GroupedSampler(users.city, everyone, weight, len(CITIES))
        self._by_province = GroupedSampler(users.province, everyone, weight, len(PROVINCES))
        self._by_type = GroupedSampler(users.favourite_type, everyone, weight, len(MOMENT_TYPES) + 1)
        self._anyone = GroupedSampler(np.zeros(n_users, dtype=np.int64), everyone, weight, 1)

    def draw(
        self, rng: np.random.Generator, author: np.ndarray, moment_type: np.ndarray, sources: np.ndarray
    ) -> np.ndarray:
        """Return one user number per entry of author.

        sources contains the share of each source, indexed by FAN, SAME_CITY,
        SAME_PROVINCE, FAVOURITE_TYPE and ANYONE.
        """
        n = len(author)
        source = rng.choice(len(sources), size=n, p=sources)
        drawn = np.full(n, -1, dtype=np.int64)

        groups_by_source = {
            FAN: (self._fans, author),
            SAME_CITY: (self._by_city, self._users.city[author]),
            SAME_PROVINCE: (self._by_province, self._users.province[author]),
            FAVOURITE_TYPE: (self._by_type, moment_type),
        }
        for source_id, (sampler, groups) in groups_by_source.items():
            chosen = source == source_id
            drawn[chosen] = sampler.draw(rng, groups[chosen])

        # ANYONE, and the fallback for empty groups such as authors without fans.
        missing = drawn < 0
        drawn[missing] = self.draw_anyone(rng, int(missing.sum()))
        return drawn

    def draw_anyone(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._anyone.draw(rng, np.zeros(n, dtype=np.int64))


def draw_like_rates(rng: np.random.Generator, moments: Moments, users: Users) -> np.ndarray:
    """Return each moment's relative like rate: the product of the planted like factors and gamma noise."""
    popularity = users.popularity[moments.author]
    hour = HOUR_LIKE_FACTOR[local_hour(moments.create_ms)]
    moment_type = TYPE_LIKE_FACTOR[moments.type]
    pictures = np.where(
        moments.picture_count > 0, 1.0 + LIKE_FACTOR_PER_PICTURE * moments.picture_count, NO_PICTURE_LIKE_FACTOR
    )

    # A bump on log length that peaks at BEST_TEXT_LENGTH characters: 1.3 there,
    # about 0.8 for a few characters and about 0.9 at 300 characters.
    log_ratio = np.log((moments.text_length + 1) / BEST_TEXT_LENGTH)
    length = 0.75 + 0.55 * np.exp(-(log_ratio**2) / 2)

    sentiment = np.ones(len(moments))
    for label, factor in SENTIMENT_LIKE_FACTOR.items():
        sentiment[moments.sentiment == label] = factor

    noise = rng.gamma(LIKE_NOISE_SHAPE, 1.0 / LIKE_NOISE_SHAPE, size=len(moments))
    return popularity * hour * moment_type * pictures * length * sentiment * noise


def _delay_cdf(horizon_ms: np.ndarray, mixture: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Return P(delay <= horizon) for MIN_DELAY_MS plus a mixture of exponentials."""
    usable = np.maximum(horizon_ms - MIN_DELAY_MS, 0)
    return sum(share * (1.0 - np.exp(-usable / mean)) for share, mean in mixture)


def _draw_delays(rng: np.random.Generator, n: int, mixture: tuple[tuple[float, float], ...]) -> np.ndarray:
    shares = np.array([share for share, _ in mixture])
    means = np.array([mean for _, mean in mixture])
    part = rng.choice(len(mixture), size=n, p=shares / shares.sum())
    return MIN_DELAY_MS + np.ceil(rng.exponential(means[part])).astype(np.int64)


def _draw_event_counts(
    rng: np.random.Generator,
    rate: np.ndarray,
    per_moment: float,
    horizon_ms: np.ndarray,
    mixture: tuple[tuple[float, float], ...],
    cap: int,
) -> np.ndarray:
    """Draw the number of likes or comments each moment would get with unlimited time.

    Rates are scaled so that the expected number that arrives before the export
    end is per_moment on average. The caller drops the late ones.
    """
    arrives_in_time = _delay_cdf(horizon_ms, mixture)
    scale = per_moment * len(rate) / max(float(np.sum(rate * arrives_in_time)), 1e-12)
    return np.minimum(rng.poisson(rate * scale), cap)


def _mark_repeats(keys: np.ndarray) -> np.ndarray:
    """Return True for every entry whose key already occurred earlier in the array."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    repeat_in_order = np.zeros(len(keys), dtype=bool)
    repeat_in_order[1:] = sorted_keys[1:] == sorted_keys[:-1]
    repeat = np.empty(len(keys), dtype=bool)
    repeat[order] = repeat_in_order
    return repeat


def make_likes(
    rng: np.random.Generator, moments: Moments, users: Users, sampler: EngagerSampler, like_rates: np.ndarray
) -> Likes:
    """Draw likes: the count from the like rate, times after the post, likers from the mixture.

    Likers never like their own moment or the same moment twice. Draws that break
    either rule are redrawn from all users. Draws still invalid after
    MAX_REDRAW_ROUNDS are dropped, which only happens when very few users exist.
    """
    n_users = len(users)
    horizon = EXPORT_END_MS - moments.create_ms
    count = _draw_event_counts(rng, like_rates, LIKES_PER_MOMENT, horizon, LIKE_DELAY, cap=max(1, (n_users - 1) // 2))

    moment = np.repeat(np.arange(len(moments)), count)
    action_ms = moments.create_ms[moment] + _draw_delays(rng, len(moment), LIKE_DELAY)
    in_time = action_ms <= EXPORT_END_MS
    moment = moment[in_time]
    action_ms = action_ms[in_time]

    author = moments.author[moment]
    liker = sampler.draw(rng, author, moments.type[moment], LIKER_SOURCES)
    for _ in range(MAX_REDRAW_ROUNDS):
        invalid = (liker == author) | _mark_repeats(moment.astype(np.int64) * n_users + liker)
        if not invalid.any():
            break
        liker[invalid] = sampler.draw_anyone(rng, int(invalid.sum()))
    valid = (liker != author) & ~_mark_repeats(moment.astype(np.int64) * n_users + liker)

    moment, liker, action_ms = moment[valid], liker[valid], action_ms[valid]
    order = np.lexsort((liker, moment, action_ms))
    return Likes(
        id=_make_event_ids(rng, LIKE_ID_START, len(order), mean_gap=3),
        moment=moment[order],
        user=liker[order],
        action_ms=action_ms[order],
    )


def make_comments(
    rng: np.random.Generator,
    text_rng: np.random.Generator,
    moments: Moments,
    users: Users,
    sampler: EngagerSampler,
    like_rates: np.ndarray,
    show_progress: bool,
) -> Comments:
    """Draw comments: counts follow the like rate, texts follow the moment's topic.

    A comment is addressed to the moment's author, except about REPLY_SHARE of
    them, which reply to an earlier commenter on the same moment.
    """
    horizon = EXPORT_END_MS - moments.create_ms
    topic_factor = np.array([TOPIC_COMMENT_FACTOR.get(topic.name, 1.0) for topic in TOPICS])[moments.topic]
    rate = like_rates**COMMENT_RATE_EXPONENT * topic_factor
    count = _draw_event_counts(rng, rate, COMMENTS_PER_MOMENT, horizon, COMMENT_DELAY, cap=len(users))

    moment = np.repeat(np.arange(len(moments)), count)
    publish_ms = moments.create_ms[moment] + _draw_delays(rng, len(moment), COMMENT_DELAY)
    in_time = publish_ms <= EXPORT_END_MS
    moment = moment[in_time]
    publish_ms = publish_ms[in_time]

    # Order by moment, then time, so each moment's comments form one run.
    order = np.lexsort((publish_ms, moment))
    moment = moment[order]
    publish_ms = publish_ms[order]
    author = moments.author[moment]

    commenter = _draw_commenters(rng, sampler, author, moments.type[moment])
    commenter, to_user, is_reply = _assign_replies(rng, moment, author, commenter)

    texts = _write_comment_texts(text_rng, moments, moment, is_reply, show_progress)
    pictures = _make_comment_pictures(rng, users, commenter)
    last_octet = rng.integers(1, 255, size=len(moment)).tolist()
    ip = [f"{users.ip_prefix[u]}.{octet}" for u, octet in zip(commenter.tolist(), last_octet)]
    ip_location = [PROVINCES[p] for p in users.province[commenter].tolist()]

    by_time = np.lexsort((moment, publish_ms))
    return Comments(
        id=_make_event_ids(rng, COMMENT_ID_START, len(by_time), mean_gap=8),
        moment=moment[by_time],
        user=commenter[by_time],
        to_user=to_user[by_time],
        publish_ms=publish_ms[by_time],
        text=[texts[i] for i in by_time.tolist()],
        pictures=[pictures[i] for i in by_time.tolist()],
        ip=[ip[i] for i in by_time.tolist()],
        ip_location=[ip_location[i] for i in by_time.tolist()],
    )


def _draw_commenters(
    rng: np.random.Generator, sampler: EngagerSampler, author: np.ndarray, moment_type: np.ndarray
) -> np.ndarray:
    """Draw commenters other than the author, then let the author write SELF_COMMENT_SHARE of them."""
    commenter = sampler.draw(rng, author, moment_type, COMMENTER_SOURCES)
    for _ in range(MAX_REDRAW_ROUNDS):
        is_author = commenter == author
        if not is_author.any():
            break
        commenter[is_author] = sampler.draw_anyone(rng, int(is_author.sum()))

    by_author = rng.random(len(author)) < SELF_COMMENT_SHARE
    return np.where(by_author, author, commenter)


def _assign_replies(
    rng: np.random.Generator, moment: np.ndarray, author: np.ndarray, commenter: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn some comments into replies to an earlier comment on the same moment.

    The input is sorted by moment, then time. Returns the commenters (the author
    writes AUTHOR_REPLY_SHARE of the replies), the addressee of each comment and
    the reply mask.
    """
    n = len(moment)
    if n == 0:
        return commenter, author.copy(), np.zeros(0, dtype=bool)

    run_start = np.flatnonzero(np.concatenate([[True], moment[1:] != moment[:-1]]))
    run_length = np.diff(np.concatenate([run_start, [n]]))
    first_of_run = np.repeat(run_start, run_length)
    rank = np.arange(n) - first_of_run

    # Only comments with an earlier one on the same moment can reply, so raise the
    # probability to keep the overall reply share near REPLY_SHARE.
    can_reply = rank > 0
    probability = min(1.0, REPLY_SHARE * n / max(int(can_reply.sum()), 1))
    is_reply = can_reply & (rng.random(n) < probability)

    target = first_of_run + np.floor(rng.random(n) * rank).astype(np.int64)
    by_author = rng.random(n) < AUTHOR_REPLY_SHARE
    commenter = np.where(is_reply & by_author, author, commenter)

    # A reply to one's own comment stays a top-level comment addressed to the author.
    is_reply &= commenter != commenter[target]
    to_user = np.where(is_reply, commenter[target], author)
    return commenter, to_user, is_reply


def _write_comment_texts(
    rng: np.random.Generator, moments: Moments, moment: np.ndarray, is_reply: np.ndarray, show_progress: bool
) -> list[str]:
    stream = UniformStream(rng)
    texts = []
    rows = zip(moment.tolist(), is_reply.tolist())
    for moment_index, reply in tqdm(rows, total=len(moment), desc="生成评论文本", unit="条", disable=not show_progress):
        topic = TOPICS[moments.topic[moment_index]]
        sentiment = int(moments.sentiment[moment_index])
        texts.append(compose_comment_text(stream, topic, sentiment, reply, moments.context[moment_index]))
    return texts


def _make_comment_pictures(rng: np.random.Generator, users: Users, commenter: np.ndarray) -> list[list[str]]:
    """Attach one picture to COMMENT_PICTURE_SHARE of comments, else none."""
    has_picture = (rng.random(len(commenter)) < COMMENT_PICTURE_SHARE).tolist()
    halves = rng.integers(0, 2**63, size=(len(commenter), 2), dtype=np.int64).tolist()
    pictures = []
    for user, picture, (high, low) in zip(commenter.tolist(), has_picture, halves):
        if picture:
            pictures.append(
                [f"{PICTURE_HOST}/comment/{users.platform[user]}_{users.uid[user]}_{high:016x}{low:016x}.webp"]
            )
        else:
            pictures.append([])
    return pictures


def _make_event_ids(rng: np.random.Generator, start: int, n: int, mean_gap: int) -> np.ndarray:
    """Return increasing ids: a sequence number from start, then 250 and a shard digit."""
    sequence = start + np.cumsum(rng.geometric(1 / mean_gap, size=n))
    shard = rng.integers(1, 5, size=n)
    return sequence * 10_000 + 2_500 + shard
