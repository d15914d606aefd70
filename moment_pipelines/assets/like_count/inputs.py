"""The features scenario 1 feeds its model, and the SQL that joins them into the training set.

`LIKE_COUNT_INPUTS` is the single list that decides which feature group
columns the training set contains, how the model encodes each one, and
which feature-group assets the training set depends on. The training-set
SQL, its column lineage and its code version are all derived from it.
"""

from dataclasses import dataclass

from moment_pipelines.features import FEATURE_GROUPS
from moment_pipelines.ml.preprocessing import FeatureKind, FeatureSpec

TRAINING_SET_TABLE = "like_count_training_set"
LABEL_COLUMN = "label"
SPLITS = ("train", "validation", "test")

# Filled in where an author posts for the first time and has no previous moment:
# 30 days in minutes, read as "a long pause".
FIRST_MOMENT_GAP_MINUTES = 30 * 24 * 60


@dataclass(frozen=True)
class ModelInput:
    group: str  # feature group (asset and table) that provides the column
    column: str  # column in that table, and its name in the training set
    kind: FeatureKind  # how FeatureEncoder turns it into network inputs
    fill: str | None = None  # SQL value used where the feature is NULL; rows with other NULLs are left out

    @property
    def spec(self) -> FeatureSpec:
        return FeatureSpec(self.column, self.kind)


LIKE_COUNT_INPUTS: tuple[ModelInput, ...] = (
    ModelInput("moment_content_features", "text_length", "log_numeric"),
    ModelInput("moment_content_features", "emoji_count", "log_numeric"),
    ModelInput("moment_content_features", "hashtag_count", "numeric"),
    ModelInput("moment_content_features", "url_count", "numeric"),
    ModelInput("moment_content_features", "mention_count", "numeric"),
    ModelInput("moment_content_features", "has_pics", "numeric"),
    ModelInput("moment_content_features", "pic_count", "numeric"),
    ModelInput("moment_content_features", "type", "category"),
    ModelInput("moment_time_features", "create_hour_local", "category"),
    ModelInput("moment_time_features", "create_weekday_local", "category"),
    ModelInput(
        "moment_time_features", "minutes_since_previous_moment", "log_numeric", fill=str(FIRST_MOMENT_GAP_MINUTES)
    ),
    ModelInput("author_history_features", "author_prior_moments", "log_numeric"),
    ModelInput("author_history_features", "author_settled_moments", "log_numeric"),
    ModelInput("author_history_features", "author_mean_likes", "log_numeric"),
    ModelInput("author_history_features", "author_median_likes", "log_numeric"),
    ModelInput("author_history_features", "platform_mean_likes", "log_numeric"),
    ModelInput("author_history_features", "days_since_author_first_moment", "log_numeric"),
)

FEATURE_NAMES = [model_input.column for model_input in LIKE_COUNT_INPUTS]
FEATURE_SPECS = [model_input.spec for model_input in LIKE_COUNT_INPUTS]
INPUT_GROUPS = tuple(dict.fromkeys(model_input.group for model_input in LIKE_COUNT_INPUTS))


def _validate_inputs() -> None:
    """Raise ValueError when an input names an unknown group or column, or a column name repeats."""
    for model_input in LIKE_COUNT_INPUTS:
        group = FEATURE_GROUPS.get(model_input.group)
        if group is None or model_input.column not in group.column_names:
            raise ValueError(f"model input {model_input.group}.{model_input.column} is not a registered feature column")
    if len(set(FEATURE_NAMES)) != len(FEATURE_NAMES):
        raise ValueError(f"model input column names repeat: {FEATURE_NAMES}")


_validate_inputs()


def _candidates_sql() -> str:
    """Return the CTE with every staged moment, its features, and flags saying whether it may be used."""
    features = ",\n        ".join(
        f"CAST(coalesce({i.group}.{i.column}, {i.fill}) AS DOUBLE) AS {i.column}"
        if i.fill
        else f"CAST({i.group}.{i.column} AS DOUBLE) AS {i.column}"
        for i in LIKE_COUNT_INPUTS
    )
    joins = "\n    ".join(f"LEFT JOIN {group} USING (moment_id)" for group in INPUT_GROUPS)
    complete = "\n            AND ".join(f"{name} IS NOT NULL" for name in FEATURE_NAMES)
    return f"""candidates AS (
    SELECT
        moment_id,
        create_time,
        {features},
        like_count,
        create_time <= (SELECT max(create_time) FROM stg_moments) - to_seconds($label_age_seconds) AS label_matured
    FROM stg_moments
    {joins}
),
checked AS (
    SELECT
        *,
        (
            {complete}
        ) AS features_complete
    FROM candidates
)"""


def training_set_sql() -> str:
    """Return the SQL that creates or replaces the training set, with parameters from the asset's Config.

    Kept rows have a like count, a matured label (`label_matured`: created at
    least `$label_age_seconds` before the newest moment in the data) and no
    NULL feature after the fills. They are ordered by create_time, then
    moment_id. The oldest rows form the training split and the newest the test split.
    """
    columns = ",\n    ".join(FEATURE_NAMES)
    return f"""-- Scenario 1 training set: one row per moment with a matured like count.
CREATE OR REPLACE TABLE {TRAINING_SET_TABLE} AS
WITH {_candidates_sql()},
kept AS (
    SELECT
        *,
        row_number() OVER (ORDER BY create_time, moment_id) AS position,
        count(*) OVER () AS kept_rows
    FROM checked
    WHERE like_count IS NOT NULL AND label_matured AND features_complete
)
SELECT
    moment_id,
    create_time,
    CASE
        WHEN position <= kept_rows * (1 - $validation_fraction - $test_fraction) THEN 'train'
        WHEN position <= kept_rows * (1 - $test_fraction) THEN 'validation'
        ELSE 'test'
    END AS split,
    {columns},
    like_count,
    ln(1 + like_count) AS {LABEL_COLUMN}
FROM kept
ORDER BY position
"""


def exclusion_counts_sql() -> str:
    """Return the SQL that counts staged moments by the reason they are left out of the training set."""
    return f"""WITH {_candidates_sql()}
SELECT
    count(*) AS moments,
    count(*) FILTER (WHERE like_count IS NULL) AS without_like_count,
    count(*) FILTER (WHERE like_count IS NOT NULL AND NOT label_matured) AS label_not_matured,
    count(*) FILTER (WHERE like_count IS NOT NULL AND label_matured AND NOT features_complete) AS features_incomplete
FROM checked
"""
