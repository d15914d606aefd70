"""Feature groups: each one is a SQL file that builds one DuckDB table keyed by moment_id.

To add a group, write `<name>.sql` next to this file (it must create table
`<name>`), then add a `FeatureGroup` to `FEATURE_GROUPS` that lists the
tables the SQL reads and describes every column. The asset factory in
`moment_pipelines.assets.features` turns each entry into an asset whose code
version is a hash of the SQL text, so editing the SQL is enough to mark the
group and everything downstream of it as changed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_SQL_DIR = Path(__file__).parent


@dataclass(frozen=True)
class FeatureColumn:
    name: str
    description: str  # shown in the Dagster UI's column schema
    sources: tuple[str, ...] = ()  # upstream "table.column" values it is computed from, for column lineage


@dataclass(frozen=True)
class SqlFunction:
    """A Python function that a feature group's SQL calls, registered on the connection before the SQL runs."""

    name: str  # name the SQL calls it by
    function: Callable  # called once per row with the SQL arguments
    parameters: tuple[str, ...]  # DuckDB types of the arguments
    return_type: str  # DuckDB type of the result, for example "DOUBLE" or a STRUCT
    definition: Callable[[], str]  # returns text that changes when the function's behaviour does; part of the code version


@dataclass(frozen=True)
class FeatureGroup:
    name: str  # asset key, DuckDB table and SQL file stem
    description: str  # shown as the asset description in the Dagster UI
    upstream: tuple[str, ...]  # asset keys of the tables the SQL reads
    columns: tuple[FeatureColumn, ...]  # every column of the table, in table order, key first
    sql: str = field(repr=False, default="")  # loaded from `<name>.sql` when empty
    key: str | tuple[str, ...] = "moment_id"  # key column, or key columns in table order
    key_table: str = "stg_moments"  # table whose rows the group matches one to one, by the key columns
    functions: tuple[SqlFunction, ...] = ()  # Python functions the SQL calls

    def __post_init__(self) -> None:
        if not self.sql:
            object.__setattr__(self, "sql", (_SQL_DIR / f"{self.name}.sql").read_text(encoding="utf-8"))

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (self.key,) if isinstance(self.key, str) else self.key


def _stg(*columns: str) -> tuple[str, ...]:
    return tuple(f"stg_moments.{column}" for column in columns)


_KEY = FeatureColumn("moment_id", "动态 id（主键）", _stg("moment_id"))

MOMENT_CONTENT = FeatureGroup(
    name="moment_content_features",
    description="动态内容特征：文本长度（字符数）、emoji、#话题#、链接和 @提及的个数、是否有图、图片数、动态类型。"
    "只用发布时就已知的内容，每条动态一行。",
    upstream=("stg_moments",),
    columns=(
        _KEY,
        FeatureColumn("text_length", "文本长度（Unicode 字符数，与 Python 的 len() 相同）", _stg("text")),
        FeatureColumn("emoji_count", "emoji 个数（含组合 emoji 和微博表情如 [哈哈]）", _stg("text")),
        FeatureColumn("hashtag_count", "#话题# 个数", _stg("text")),
        FeatureColumn("url_count", "http/https 链接个数", _stg("text")),
        FeatureColumn("mention_count", "@提及 个数", _stg("text")),
        FeatureColumn("has_pics", "是否带图片", _stg("has_pics")),
        FeatureColumn("pic_count", "图片张数", _stg("pic_count")),
        FeatureColumn("type", "动态类型（原始 type 编码）", _stg("type")),
    ),
)

MOMENT_TIME = FeatureGroup(
    name="moment_time_features",
    description="动态时间特征：发布时刻的本地小时和星期（Asia/Shanghai），以及距同一作者上一条动态的分钟数。",
    upstream=("stg_moments",),
    columns=(
        _KEY,
        FeatureColumn("create_hour_local", "发布小时（Asia/Shanghai，0–23）", _stg("create_hour_local")),
        FeatureColumn("create_weekday_local", "发布星期（Asia/Shanghai，1=周一 … 7=周日）", _stg("create_weekday_local")),
        FeatureColumn(
            "minutes_since_previous_moment",
            "距同一作者上一条动态的分钟数；作者的第一条动态为 NULL",
            _stg("create_time", "uid"),
        ),
    ),
)

AUTHOR_HISTORY = FeatureGroup(
    name="author_history_features",
    description="作者历史特征（时间点正确）：只用该动态发布之前的动态计算，不含本条、不含之后的任何动态。"
    "点赞统计只用发布时已满 3 天的动态（点赞数基本稳定），并按先验强度 5 条向全站值收缩，"
    "让历史少的作者不至于被偶然值带偏。",
    upstream=("stg_moments",),
    columns=(
        _KEY,
        FeatureColumn("author_prior_moments", "作者在此之前发布的动态数", _stg("uid", "create_time")),
        FeatureColumn(
            "author_settled_moments",
            "作者在此之前已满 3 天、有点赞数的动态数（收缩公式中的 n）",
            _stg("uid", "create_time", "like_count"),
        ),
        FeatureColumn(
            "author_mean_likes",
            "作者历史平均点赞数，向全站平均值收缩：(n·作者均值 + 5·全站均值) / (n + 5)",
            _stg("uid", "create_time", "like_count"),
        ),
        FeatureColumn(
            "author_median_likes",
            "作者历史点赞中位数，向全站中位数收缩：(n·作者中位数 + 5·全站中位数) / (n + 5)",
            _stg("uid", "create_time", "like_count"),
        ),
        FeatureColumn(
            "platform_mean_likes",
            "截至发布时全站已满 3 天动态的平均点赞数；数据最初 3 天为 NULL",
            _stg("create_time", "like_count"),
        ),
        FeatureColumn(
            "platform_median_likes",
            "截至发布时全站已满 3 天动态的点赞中位数；数据最初 3 天为 NULL",
            _stg("create_time", "like_count"),
        ),
        FeatureColumn(
            "days_since_author_first_moment",
            "距作者第一条动态的天数（含小数；第一条动态为 0）",
            _stg("uid", "create_time"),
        ),
    ),
)

FEATURE_GROUPS: dict[str, FeatureGroup] = {group.name: group for group in (MOMENT_CONTENT, MOMENT_TIME, AUTHOR_HISTORY)}
