"""Demo users and the favourite authors each of them keeps coming back to."""

from dataclasses import dataclass

import numpy as np

from .cities import CITIES, PROVINCES
from .sampling import GroupedSampler, UniformStream
from .texts import make_nickname
from .topics import MOMENT_TYPES, TOPICS

USERS_PER_MOMENT = 0.21
MIN_USERS = 50

UID_LOW = 1_000_000_000
UID_HIGH = 4_000_000_000

# First IPv4 octets of large Chinese consumer networks, to make ip strings look familiar.
IP_FIRST_OCTETS = np.array([36, 39, 42, 58, 59, 60, 61, 101, 106, 111, 112, 113, 114, 115, 116, 117, 118, 119,
                            120, 121, 122, 123, 125, 171, 175, 180, 182, 183, 202, 210, 218, 219, 220, 221, 222, 223])  # fmt: skip

FAVOURITE_AUTHORS_MEAN = 4.0
FAVOURITE_AUTHOR_SAME_CITY_SHARE = 0.4


@dataclass
class Users:
    """Per-user arrays, indexed by user number 0..n-1 (not by uid)."""

    uid: np.ndarray  # int64, 10 digits, unique
    city: np.ndarray  # index into CITIES
    province: np.ndarray  # index into PROVINCES
    popularity: np.ndarray  # lognormal appeal of the user's moments, median 1
    post_activity: np.ndarray  # lognormal relative posting rate
    engage_activity: np.ndarray  # lognormal relative rate of liking and commenting
    favourite_topics: np.ndarray  # (n, 2) indices into TOPICS
    favourite_type: np.ndarray  # moment type 1..5 the user likes most
    ip_prefix: list[str]  # first three octets, e.g. "114.83.176"
    platform: list[str]  # "and" or "ios", the prefix of the user's picture file names
    nickname: list[str]

    def __len__(self) -> int:
        return len(self.uid)


@dataclass
class FavouriteAuthors:
    """Pairs (fan, author) of user numbers: the authors each fan returns to."""

    fan: np.ndarray
    author: np.ndarray


def user_count_for(n_moments: int) -> int:
    return max(MIN_USERS, round(n_moments * USERS_PER_MOMENT))


def make_users(rng: np.random.Generator, n_users: int) -> Users:
    """Draw the user population: home city, popularity, activity and tastes."""
    uid = rng.choice(UID_HIGH - UID_LOW, size=n_users, replace=False).astype(np.int64) + UID_LOW

    city_weight = np.array([city.weight for city in CITIES])
    city = rng.choice(len(CITIES), size=n_users, p=city_weight / city_weight.sum())
    province_of_city = np.array([PROVINCES.index(c.province) for c in CITIES])

    popularity = rng.lognormal(mean=0.0, sigma=1.0, size=n_users)
    post_activity = rng.lognormal(mean=0.0, sigma=1.2, size=n_users)
    engage_activity = rng.lognormal(mean=0.0, sigma=1.0, size=n_users)

    favourite_topics = _draw_favourite_topics(rng, n_users)
    favourite_type = _draw_favourite_type(rng, favourite_topics[:, 0])

    ip_octets = np.column_stack(
        [
            rng.choice(IP_FIRST_OCTETS, size=n_users),
            rng.integers(0, 256, size=n_users),
            rng.integers(0, 256, size=n_users),
        ]
    )
    ip_prefix = [f"{a}.{b}.{c}" for a, b, c in ip_octets.tolist()]

    platform = np.where(rng.random(n_users) < 0.7, "and", "ios").tolist()

    stream = UniformStream(rng)
    nickname = [make_nickname(stream) for _ in range(n_users)]

    return Users(
        uid=uid,
        city=city,
        province=province_of_city[city],
        popularity=popularity,
        post_activity=post_activity,
        engage_activity=engage_activity,
        favourite_topics=favourite_topics,
        favourite_type=favourite_type,
        ip_prefix=ip_prefix,
        platform=platform,
        nickname=nickname,
    )


def _draw_favourite_topics(rng: np.random.Generator, n_users: int) -> np.ndarray:
    """Draw two different topics per user, each with the global topic weights."""
    topic_weight = np.array([topic.weight for topic in TOPICS])
    probabilities = topic_weight / topic_weight.sum()
    first = rng.choice(len(TOPICS), size=n_users, p=probabilities)
    second = rng.choice(len(TOPICS), size=n_users, p=probabilities)

    # Redraw the second topic where it repeats the first. A handful of rounds
    # leaves no repeats in practice, and any that remain get the next topic.
    for _ in range(10):
        same = second == first
        if not same.any():
            break
        second[same] = rng.choice(len(TOPICS), size=int(same.sum()), p=probabilities)
    same = second == first
    second[same] = (first[same] + 1) % len(TOPICS)

    return np.column_stack([first, second])


def _draw_favourite_type(rng: np.random.Generator, main_topic: np.ndarray) -> np.ndarray:
    """Return the picture type of the user's main topic, or a uniform type for 1 user in 5."""
    topic_type = np.array([topic.picture_type for topic in TOPICS])
    favourite = topic_type[main_topic]
    random_type = rng.integers(1, len(MOMENT_TYPES) + 1, size=len(main_topic))
    use_random = rng.random(len(main_topic)) < 0.2
    return np.where(use_random, random_type, favourite)


def make_favourite_authors(rng: np.random.Generator, users: Users, posts_per_user: np.ndarray) -> FavouriteAuthors:
    """Give each user about FAVOURITE_AUTHORS_MEAN favourite authors among users who post.

    Favourites are drawn with probability proportional to author popularity, and
    40 % of them from the fan's own city. Self-pairs and repeated pairs are dropped.
    """
    n_users = len(users)
    posters = np.flatnonzero(posts_per_user > 0)
    if len(posters) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return FavouriteAuthors(fan=empty, author=empty)

    favourite_count = 1 + rng.poisson(FAVOURITE_AUTHORS_MEAN - 1, size=n_users)
    fan = np.repeat(np.arange(n_users), favourite_count)

    everyone = GroupedSampler(np.zeros(len(posters), dtype=np.int64), posters, users.popularity[posters], 1)
    by_city = GroupedSampler(users.city[posters], posters, users.popularity[posters], len(CITIES))

    author = everyone.draw(rng, np.zeros(len(fan), dtype=np.int64))
    from_city = rng.random(len(fan)) < FAVOURITE_AUTHOR_SAME_CITY_SHARE
    city_author = by_city.draw(rng, users.city[fan[from_city]])
    author[from_city] = np.where(city_author >= 0, city_author, author[from_city])

    keep = author != fan
    pair_key = fan.astype(np.int64) * n_users + author
    _, first_index = np.unique(pair_key, return_index=True)
    is_first = np.zeros(len(fan), dtype=bool)
    is_first[first_index] = True
    keep &= is_first

    return FavouriteAuthors(fan=fan[keep], author=author[keep])
