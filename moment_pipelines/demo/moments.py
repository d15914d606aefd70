"""Demo moments: author, posting time, topic, pictures, type, place and text."""

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from .cities import CITIES, short_city_name
from .population import Users
from .sampling import GroupedSampler, UniformStream
from .texts import compose_moment_text, draw_sentence_count, draw_sentiment
from .timeline import (
    EXPORT_DAYS,
    EXPORT_FIRST_LOCAL_DATE,
    EXPORT_START_MS,
    HOLIDAYS,
    MS_PER_DAY,
    MS_PER_HOUR,
    POSTING_HOUR_WEIGHTS,
    SHANGHAI_OFFSET_MS,
    local_to_utc_ms,
    nearest_holiday,
)
from .topics import FESTIVAL_TOPIC, GENERIC_PICTURE_TYPE, TEXT_ONLY_TYPE, TOPICS, TRAVEL_TOPIC

FAVOURITE_TOPIC_SHARE = 0.7
HOLIDAY_FESTIVAL_SHARE = 0.3  # share of moments within a day of a holiday that are about it
WEEKEND_POSTING_FACTOR = 1.15
POSTING_GROWTH = 0.3  # the app posts 30 % more per day at the end of the export than at the start

# Relative frequency of 1..9 pictures: single photos and full grids of 3, 6 and 9 dominate.
PICTURE_COUNT_WEIGHTS = np.array([30.0, 10.0, 15.0, 8.0, 4.0, 12.0, 3.0, 3.0, 15.0])
GENERIC_TYPE_SHARE = 0.1  # picture posts on food, travel or pets that still pick type 2
PICTURE_ONLY_SHARE = 0.08  # picture posts with empty text

LOCATION_SHARE = 0.6
LOCATION_JITTER_DEGREES = 0.03
MENTION_SHARE = 0.05
URL_SHARE = 0.03

PICTURE_HOST = "https://oss.demo.invalid"
MOMENT_ID_START = 372_000_000


@dataclass
class Moments:
    """Per-moment arrays, sorted by createTime and indexed by moment number."""

    id: np.ndarray
    author: np.ndarray  # user number
    create_ms: np.ndarray  # UTC epoch milliseconds
    topic: np.ndarray  # index into TOPICS
    type: np.ndarray  # 1..5, see topics.MOMENT_TYPES
    picture_count: np.ndarray
    pictures: list[list[str]]
    sentiment: np.ndarray  # texts.POSITIVE, NEUTRAL or NEGATIVE
    text: list[str]
    text_length: np.ndarray  # characters
    mention: np.ndarray  # user number mentioned with @, or -1
    place_city: np.ndarray  # index into CITIES: the destination for travel posts, else home
    has_location: np.ndarray
    lng: np.ndarray
    lat: np.ndarray
    ip: list[str]
    ip_location: list[str]
    context: list[dict[str, str]]  # slot values shared by the moment's text and its comments

    def __len__(self) -> int:
        return len(self.id)


def make_moments(
    rng: np.random.Generator,
    text_rng: np.random.Generator,
    users: Users,
    n_moments: int,
    show_progress: bool,
) -> Moments:
    """Draw n_moments moments. The package docstring describes the signals they carry."""
    create_ms = np.sort(_draw_create_times(rng, n_moments))
    author = rng.choice(len(users), size=n_moments, p=users.post_activity / users.post_activity.sum())
    day_index = (create_ms - EXPORT_START_MS) // MS_PER_DAY
    holiday, holiday_distance = nearest_holiday(day_index)

    topic = _draw_topics(rng, users.favourite_topics[author], holiday_distance)
    picture_count = _draw_picture_counts(rng, topic)
    moment_type = _assign_types(rng, topic, picture_count)

    place_city = _draw_place_cities(rng, topic, users.city[author])
    has_location, lng, lat = _draw_locations(rng, place_city)
    ip, ip_location = _draw_ips(rng, users, author, place_city)
    mention = _draw_mentions(rng, users, author)
    pictures = _make_picture_urls(rng, users, author, picture_count)

    context = [_text_context(place, h, users.city[a]) for place, h, a in zip(place_city, holiday, author)]
    sentiment, text = _write_texts(text_rng, users, topic, picture_count, mention, context, show_progress)

    return Moments(
        id=_make_moment_ids(rng, n_moments),
        author=author,
        create_ms=create_ms,
        topic=topic,
        type=moment_type,
        picture_count=picture_count,
        pictures=pictures,
        sentiment=sentiment,
        text=text,
        text_length=np.array([len(t) for t in text], dtype=np.int64),
        mention=mention,
        place_city=place_city,
        has_location=has_location,
        lng=lng,
        lat=lat,
        ip=ip,
        ip_location=ip_location,
        context=context,
    )


def _draw_create_times(rng: np.random.Generator, n_moments: int) -> np.ndarray:
    """Draw posting instants: the local day, then the local hour by the daily rhythm."""
    day = np.arange(EXPORT_DAYS)
    weekday = (EXPORT_FIRST_LOCAL_DATE.weekday() + day) % 7
    day_weight = np.where(weekday >= 5, WEEKEND_POSTING_FACTOR, 1.0) * (1.0 + POSTING_GROWTH * day / EXPORT_DAYS)
    chosen_day = rng.choice(EXPORT_DAYS, size=n_moments, p=day_weight / day_weight.sum())

    hour = rng.choice(24, size=n_moments, p=POSTING_HOUR_WEIGHTS / POSTING_HOUR_WEIGHTS.sum())
    within_hour = rng.integers(0, MS_PER_HOUR, size=n_moments)

    local_ms = EXPORT_START_MS + SHANGHAI_OFFSET_MS + chosen_day * MS_PER_DAY + hour * MS_PER_HOUR + within_hour
    return local_to_utc_ms(local_ms)


def _draw_topics(rng: np.random.Generator, favourite_topics: np.ndarray, holiday_distance: np.ndarray) -> np.ndarray:
    n = len(favourite_topics)
    topic_weight = np.array([topic.weight for topic in TOPICS])
    topic = rng.choice(len(TOPICS), size=n, p=topic_weight / topic_weight.sum())

    use_favourite = rng.random(n) < FAVOURITE_TOPIC_SHARE
    which_favourite = rng.integers(0, 2, size=n)
    topic = np.where(use_favourite, favourite_topics[np.arange(n), which_favourite], topic)

    near_holiday = (holiday_distance <= 1) & (rng.random(n) < HOLIDAY_FESTIVAL_SHARE)
    return np.where(near_holiday, FESTIVAL_TOPIC, topic)


def _draw_picture_counts(rng: np.random.Generator, topic: np.ndarray) -> np.ndarray:
    picture_rate = np.array([t.picture_rate for t in TOPICS])
    has_pictures = rng.random(len(topic)) < picture_rate[topic]
    count = 1 + rng.choice(9, size=len(topic), p=PICTURE_COUNT_WEIGHTS / PICTURE_COUNT_WEIGHTS.sum())
    return np.where(has_pictures, count, 0)


def _assign_types(rng: np.random.Generator, topic: np.ndarray, picture_count: np.ndarray) -> np.ndarray:
    """Type 1 without pictures, else the topic's picture type (2 for 1 post in 10)."""
    picture_type = np.array([t.picture_type for t in TOPICS])
    with_pictures = np.where(rng.random(len(topic)) < GENERIC_TYPE_SHARE, GENERIC_PICTURE_TYPE, picture_type[topic])
    return np.where(picture_count > 0, with_pictures, TEXT_ONLY_TYPE)


def _draw_place_cities(rng: np.random.Generator, topic: np.ndarray, home_city: np.ndarray) -> np.ndarray:
    """Return the home city, or for travel posts a random city that has a landmark."""
    destinations = np.array([index for index, city in enumerate(CITIES) if city.landmark])
    destination = rng.choice(destinations, size=len(topic))
    return np.where(topic == TRAVEL_TOPIC, destination, home_city)


def _draw_locations(rng: np.random.Generator, place_city: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(place_city)
    has_location = rng.random(n) < LOCATION_SHARE
    city_lng = np.array([city.lng for city in CITIES])
    city_lat = np.array([city.lat for city in CITIES])
    lng = np.round(city_lng[place_city] + rng.normal(0.0, LOCATION_JITTER_DEGREES, size=n), 6)
    lat = np.round(city_lat[place_city] + rng.normal(0.0, LOCATION_JITTER_DEGREES, size=n), 6)
    return has_location, lng, lat


def _draw_ips(
    rng: np.random.Generator, users: Users, author: np.ndarray, place_city: np.ndarray
) -> tuple[list[str], list[str]]:
    """Return ip strings and the province short names the app shows for them."""
    last_octet = rng.integers(1, 255, size=len(author)).tolist()
    ip = [f"{users.ip_prefix[a]}.{octet}" for a, octet in zip(author.tolist(), last_octet)]
    province_of_city = [city.province for city in CITIES]
    ip_location = [province_of_city[c] for c in place_city.tolist()]
    return ip, ip_location


def _draw_mentions(rng: np.random.Generator, users: Users, author: np.ndarray) -> np.ndarray:
    """Return a user from the author's city for 5 % of moments and -1 for the rest, but never the author."""
    n_users = len(users)
    by_city = GroupedSampler(users.city, np.arange(n_users), users.engage_activity, len(CITIES))
    mentioned = by_city.draw(rng, users.city[author])
    mentions_someone = rng.random(len(author)) < MENTION_SHARE
    return np.where(mentions_someone & (mentioned != author), mentioned, -1)


def _make_picture_urls(
    rng: np.random.Generator, users: Users, author: np.ndarray, picture_count: np.ndarray
) -> list[list[str]]:
    """Build picture URLs like https://oss.demo.invalid/feed/and_<uid>_<32 hex digits>.webp."""
    total = int(picture_count.sum())
    halves = rng.integers(0, 2**63, size=(total, 2), dtype=np.int64).tolist()
    names = [f"{high:016x}{low:016x}" for high, low in halves]

    pictures = []
    position = 0
    for a, count in zip(author.tolist(), picture_count.tolist()):
        prefix = f"{PICTURE_HOST}/feed/{users.platform[a]}_{users.uid[a]}_"
        pictures.append([f"{prefix}{name}.webp" for name in names[position : position + count]])
        position += count
    return pictures


def _text_context(place_city: int, holiday: int, home_city: int) -> dict[str, str]:
    place = CITIES[place_city]
    return {
        "city": short_city_name(CITIES[home_city]),
        "dest": short_city_name(place),
        "landmark": place.landmark,
        "holiday": HOLIDAYS[holiday].name,
        "greeting": HOLIDAYS[holiday].greeting,
        "holiday_food": HOLIDAYS[holiday].food,
    }


def _write_texts(
    rng: np.random.Generator,
    users: Users,
    topic: np.ndarray,
    picture_count: np.ndarray,
    mention: np.ndarray,
    context: list[dict[str, str]],
    show_progress: bool,
) -> tuple[np.ndarray, list[str]]:
    """Draw each moment's sentiment and write its text. Picture-only posts get an empty text."""
    stream = UniformStream(rng)
    sentiment = np.zeros(len(topic), dtype=np.int64)
    texts = []
    rows = zip(topic.tolist(), picture_count.tolist(), mention.tolist(), context)
    for index, (topic_index, pictures, mentioned, slots) in enumerate(
        tqdm(rows, total=len(topic), desc="生成动态文本", unit="条", disable=not show_progress)
    ):
        current = TOPICS[topic_index]
        sentiment[index] = draw_sentiment(stream, current)
        sentence_count = draw_sentence_count(stream, current)
        add_url = stream.chance(URL_SHARE)

        if pictures > 0 and mentioned < 0 and stream.chance(PICTURE_ONLY_SHARE):
            sentiment[index] = 0
            texts.append("")
            continue

        nickname = users.nickname[mentioned] if mentioned >= 0 else None
        texts.append(
            compose_moment_text(stream, current, int(sentiment[index]), sentence_count, slots, nickname, add_url)
        )
    return sentiment, texts


def _make_moment_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return increasing 13-digit ids shaped like the app's: a sequence number, then 250 and a shard digit."""
    sequence = MOMENT_ID_START + np.cumsum(1 + rng.geometric(1 / 20, size=n))
    shard = rng.integers(1, 5, size=n)
    return sequence * 10_000 + 2_500 + shard
