-- One row per moment: what the author's history looked like when the moment was posted.
--
-- Point in time: every value for a moment created at t uses only moments
-- created strictly before t, never the moment itself or a later one.
-- Like statistics use only "settled" moments, created at least 3 days before
-- t. A moment's like_count is the counter read at extraction time, and a
-- moment keeps collecting likes for days, so the counter of a moment posted
-- an hour before t includes likes that arrived after t. After 3 days nearly
-- all likes are in; the training set's default label maturity uses the same
-- assumption.
--
-- Shrinkage: an author with few settled moments has a noisy mean, so it is
-- pulled toward the platform-wide value with a prior strength of 5 moments:
--     shrunk = (n * author_value + 5 * platform_value) / (n + 5)
-- where n is the number of settled moments with a like count. With n = 5 the
-- author's own value and the platform value weigh the same; with n = 0 the
-- result is the platform value. The platform values are expanding statistics
-- over all settled moments of every author, so they are point in time too.
-- Both are NULL during the first 3 days of the data, when nothing has settled.
--
-- The platform values are computed once over the moments with a like count,
-- in creation order, and each moment picks the value as of its own cut-off
-- with an ASOF join. A window framed "3 days preceding" over the whole table
-- gives the same numbers, but DuckDB evaluates an unpartitioned median over
-- such frames far more slowly, and much more so when like counts are NULL.
CREATE OR REPLACE TABLE author_history_features AS
WITH history AS (
    SELECT
        moment_id,
        create_time,
        count(*) OVER author_before AS author_prior_moments,
        min(create_time) OVER author_until_now AS author_first_create_time,
        count(like_count) OVER author_settled AS author_settled_moments,
        avg(like_count) OVER author_settled AS author_mean,
        median(like_count) OVER author_settled AS author_median
    FROM stg_moments
    WINDOW
        author_before AS (
            PARTITION BY uid ORDER BY create_time
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
        ),
        author_until_now AS (
            PARTITION BY uid ORDER BY create_time
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ),
        author_settled AS (
            PARTITION BY uid ORDER BY create_time
            RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 3 DAYS PRECEDING
        )
),
platform_running AS (
    -- Mean and median of every like count up to and including each row.
    SELECT
        create_time,
        row_number() OVER running AS position,
        avg(like_count) OVER running AS mean_likes,
        median(like_count) OVER running AS median_likes
    FROM stg_moments
    WHERE like_count IS NOT NULL
    WINDOW running AS (ORDER BY create_time ROWS UNBOUNDED PRECEDING)
),
platform_as_of AS (
    -- Moments created at the same instant count together: keep the last row of each instant.
    SELECT DISTINCT ON (create_time) create_time, mean_likes, median_likes
    FROM platform_running
    ORDER BY create_time, position DESC
),
with_platform AS (
    SELECT
        history.*,
        platform_as_of.mean_likes AS platform_mean_likes,
        platform_as_of.median_likes AS platform_median_likes
    FROM history
    ASOF LEFT JOIN platform_as_of
        ON platform_as_of.create_time <= history.create_time - INTERVAL 3 DAYS
)
SELECT
    moment_id,
    author_prior_moments,
    author_settled_moments,
    (author_settled_moments * coalesce(author_mean, 0) + 5 * platform_mean_likes)
        / (author_settled_moments + 5) AS author_mean_likes,
    (author_settled_moments * coalesce(author_median, 0) + 5 * platform_median_likes)
        / (author_settled_moments + 5) AS author_median_likes,
    platform_mean_likes,
    platform_median_likes,
    (epoch(create_time) - epoch(author_first_create_time)) / 86400.0 AS days_since_author_first_moment
FROM with_platform
