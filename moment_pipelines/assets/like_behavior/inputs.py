"""The features scenario 2 feeds its models, and the SQL that joins them to the candidates.

`LIKE_BEHAVIOR_INPUTS` is the single list that decides which feature-group
columns the training set contains, how the network encodes each one, and
which feature-group assets the training set depends on.
"""

from dataclasses import dataclass

from moment_pipelines.features import FEATURE_GROUPS
from moment_pipelines.ml.preprocessing import FeatureKind, FeatureSpec

CANDIDATES_TABLE = "like_behavior_candidates"
TRAINING_SET_TABLE = "like_behavior_training_set"
LABEL_COLUMN = "label"
SPLITS = ("train", "validation", "test")
POPULARITY_FEATURE = "moment_likes_before_event"


@dataclass(frozen=True)
class ModelInput:
    group: str  # feature group (asset and table) that provides the column
    column: str  # column in that table; the training set keeps the name
    kind: FeatureKind  # how FeatureEncoder turns it into network inputs


LIKE_BEHAVIOR_INPUTS: tuple[ModelInput, ...] = (
    ModelInput("user_author_interaction_features", "likes_to_author", "log_numeric"),
    ModelInput("user_author_interaction_features", "comments_to_author", "log_numeric"),
    ModelInput("user_author_interaction_features", "comments_from_author", "log_numeric"),
    ModelInput("user_type_affinity_features", "user_prior_likes", "log_numeric"),
    ModelInput("user_type_affinity_features", "user_type_likes", "log_numeric"),
    ModelInput("user_type_affinity_features", "user_type_like_share", "numeric"),
    ModelInput("moment_sentiment_features", "sentiment_score", "numeric"),
    ModelInput("moment_sentiment_features", "sentiment_positive", "log_numeric"),
    ModelInput("moment_sentiment_features", "sentiment_negative", "log_numeric"),
    ModelInput("moment_exposure_features", "moment_age_hours", "log_numeric"),
    ModelInput("moment_exposure_features", POPULARITY_FEATURE, "log_numeric"),
    ModelInput("moment_exposure_features", "moment_comments_before_event", "log_numeric"),
    ModelInput("user_moment_geo_features", "distance_km", "log_numeric"),
    ModelInput("user_moment_geo_features", "distance_missing", "numeric"),
    ModelInput("user_moment_geo_features", "same_province", "numeric"),
    ModelInput("user_moment_geo_features", "province_missing", "numeric"),
)

FEATURE_NAMES = [model_input.column for model_input in LIKE_BEHAVIOR_INPUTS]
FEATURE_SPECS = [FeatureSpec(model_input.column, model_input.kind) for model_input in LIKE_BEHAVIOR_INPUTS]
INPUT_GROUPS = tuple(dict.fromkeys(model_input.group for model_input in LIKE_BEHAVIOR_INPUTS))


def _validate_inputs() -> None:
    """Raise ValueError when an input names an unknown group or column, or a column name repeats."""
    for model_input in LIKE_BEHAVIOR_INPUTS:
        group = FEATURE_GROUPS.get(model_input.group)
        if group is None or model_input.column not in group.column_names:
            raise ValueError(f"model input {model_input.group}.{model_input.column} is not a registered feature column")
    if len(set(FEATURE_NAMES)) != len(FEATURE_NAMES):
        raise ValueError(f"model input column names repeat: {FEATURE_NAMES}")


_validate_inputs()


def _join_sql() -> str:
    """Return LEFT JOINs of every input group on its own key (candidate key or moment_id)."""
    joins = []
    for name in INPUT_GROUPS:
        keys = ", ".join(FEATURE_GROUPS[name].key_columns)
        joins.append(f"LEFT JOIN {name} USING ({keys})")
    return "\n    ".join(joins)


def training_set_sql() -> str:
    """Return the SQL that (re)creates the training set; parameters come from the asset's Config.

    The split is by event time: cut points are the event-time quantiles of
    the positives, so train contains the oldest likes, test the newest, and a
    negative always shares its positive's split. Rows with a NULL feature are
    left out (every group covers every candidate, so this only happens when a
    group is stale).
    """
    features = ",\n        ".join(f"CAST({i.group}.{i.column} AS DOUBLE) AS {i.column}" for i in LIKE_BEHAVIOR_INPUTS)
    complete = "\n        AND ".join(f"{name} IS NOT NULL" for name in FEATURE_NAMES)
    columns = ",\n    ".join(FEATURE_NAMES)
    return f"""-- Scenario 2 training set: one row per candidate with its features, label and time split.
CREATE OR REPLACE TABLE {TRAINING_SET_TABLE} AS
WITH
joined AS (
    SELECT
        uid,
        moment_id,
        event_time,
        {CANDIDATES_TABLE}.positive_id,
        {CANDIDATES_TABLE}.sample_source,
        {CANDIDATES_TABLE}.label,
        {features}
    FROM {CANDIDATES_TABLE}
    {_join_sql()}
),
cut_points AS (
    SELECT
        quantile_disc(event_time, 1 - $validation_fraction - $test_fraction) AS validation_start,
        quantile_disc(event_time, 1 - $test_fraction) AS test_start
    FROM {CANDIDATES_TABLE}
    WHERE label = 1
)
SELECT
    uid,
    moment_id,
    event_time,
    positive_id,
    sample_source,
    CASE
        WHEN event_time < validation_start THEN 'train'
        WHEN event_time < test_start THEN 'validation'
        ELSE 'test'
    END AS split,
    {columns},
    {LABEL_COLUMN}
FROM joined, cut_points
WHERE {complete}
ORDER BY event_time, positive_id, label DESC, moment_id
"""


def incomplete_rows_sql() -> str:
    """Return the SQL counting candidates that lack a feature row in some input group."""
    return f"SELECT count(*) FROM {CANDIDATES_TABLE} ANTI JOIN {TRAINING_SET_TABLE} USING (uid, moment_id, event_time)"
