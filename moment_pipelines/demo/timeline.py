"""The export window, the daily rhythm in local time and the holidays of 2025.

All instants are integer milliseconds since the Unix epoch (UTC). The app's users
live in Asia/Shanghai, which is UTC+8 all year because China has no daylight
saving time, so local clock readings are converted with a fixed offset.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

MS_PER_SECOND = 1_000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000
SHANGHAI_OFFSET_MS = 8 * MS_PER_HOUR

# The export covers 2025-01-01 00:00 to 2025-07-01 00:00 Asia/Shanghai, 181 days.
EXPORT_START_MS = int(datetime(2024, 12, 31, 16, tzinfo=UTC).timestamp() * 1000)
EXPORT_END_MS = int(datetime(2025, 6, 30, 16, tzinfo=UTC).timestamp() * 1000)
EXPORT_DAYS = (EXPORT_END_MS - EXPORT_START_MS) // MS_PER_DAY
EXPORT_FIRST_LOCAL_DATE = date(2025, 1, 1)

# Relative number of moments posted in each local hour 0..23: a small lunch peak,
# an evening peak from 19:00 to 23:00 and a trough from 02:00 to 06:00.
POSTING_HOUR_WEIGHTS = np.array(
    [
        3.0, 1.8, 0.9, 0.5, 0.4, 0.5, 1.0, 2.2, 3.2, 3.4, 3.4, 3.8,
        4.6, 4.0, 3.4, 3.3, 3.4, 3.8, 4.5, 5.5, 6.4, 6.8, 6.4, 4.8,
    ]
)  # fmt: skip

# Like-rate multiplier by local posting hour. Evening posts reach friends who are
# online, and posts written in the small hours sink before anyone wakes up.
HOUR_LIKE_FACTOR = np.array(
    [
        1.00, 0.80, 0.55, 0.50, 0.50, 0.55, 0.70, 0.90, 1.00, 1.00, 1.00, 1.00,
        1.10, 1.00, 0.95, 0.95, 1.00, 1.10, 1.20, 1.40, 1.50, 1.55, 1.45, 1.25,
    ]
)  # fmt: skip


@dataclass(frozen=True)
class Holiday:
    """A holiday that festival posts (topic 节日) are written about."""

    name: str
    day: date  # local date in 2025
    greeting: str  # what people post on the day, e.g. "春节快乐"
    food: str  # the food that goes with it


HOLIDAYS: tuple[Holiday, ...] = (
    Holiday("元旦", date(2025, 1, 1), "元旦快乐", "火锅"),
    Holiday("腊八节", date(2025, 1, 7), "腊八节快乐", "腊八粥"),
    Holiday("小年", date(2025, 1, 22), "小年快乐", "糖瓜"),
    Holiday("除夕", date(2025, 1, 28), "除夕快乐", "年夜饭"),
    Holiday("春节", date(2025, 1, 29), "新年快乐", "饺子"),
    Holiday("元宵节", date(2025, 2, 12), "元宵节快乐", "汤圆"),
    Holiday("情人节", date(2025, 2, 14), "情人节快乐", "巧克力"),
    Holiday("妇女节", date(2025, 3, 8), "女神节快乐", "蛋糕"),
    Holiday("清明节", date(2025, 4, 4), "清明安康", "青团"),
    Holiday("劳动节", date(2025, 5, 1), "劳动节快乐", "烧烤"),
    Holiday("母亲节", date(2025, 5, 11), "母亲节快乐", "蛋糕"),
    Holiday("520", date(2025, 5, 20), "520快乐", "巧克力"),
    Holiday("端午节", date(2025, 5, 31), "端午安康", "粽子"),
    Holiday("儿童节", date(2025, 6, 1), "儿童节快乐", "冰淇淋"),
    Holiday("父亲节", date(2025, 6, 15), "父亲节快乐", "蛋糕"),
)


def holiday_day_indices() -> np.ndarray:
    """Return each holiday's day index counted from the first local day of the export."""
    return np.array([(holiday.day - EXPORT_FIRST_LOCAL_DATE).days for holiday in HOLIDAYS])


def nearest_holiday(day_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the index into HOLIDAYS of the nearest holiday and the distance in days."""
    holiday_days = holiday_day_indices()
    distance = np.abs(day_index[:, None] - holiday_days[None, :])
    nearest = np.argmin(distance, axis=1)
    return nearest, distance[np.arange(len(day_index)), nearest]


def local_to_utc_ms(local_ms: np.ndarray) -> np.ndarray:
    """Convert Asia/Shanghai wall-clock milliseconds to UTC epoch milliseconds."""
    return local_ms - SHANGHAI_OFFSET_MS


def local_hour(utc_ms: np.ndarray) -> np.ndarray:
    """Return the Asia/Shanghai hour 0..23 of UTC epoch milliseconds."""
    return ((utc_ms + SHANGHAI_OFFSET_MS) // MS_PER_HOUR) % 24


def format_dates(utc_ms: np.ndarray) -> list[str]:
    """Format epoch milliseconds as ISO 8601 UTC strings like mongoexport: 2025-01-01T08:00:00.000Z."""
    as_datetime = np.asarray(utc_ms, dtype=np.int64).astype("datetime64[ms]")
    return np.datetime_as_string(as_datetime, unit="ms", timezone="UTC").tolist()
