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
-- How the settled statistics are computed: first the running count, mean and
-- median over the moments with a like count, in creation order, per author
-- and for the platform. Then an ASOF join gives each moment the last running
-- value at or before its cut-off t - 3 days. A window framed "3 days
-- preceding" gives the same numbers, but DuckDB 2.0 computes medians over
-- such frames several times more slowly, and far more slowly again when some
-- like counts are NULL (bench/feature_build.py measures both).
CREATE OR REPLACE TABLE author_history_features AS
WITH history AS (
    SELECT
        moment_id,
        uid,
        create_time,
        count(*) OVER author_before AS author_prior_moments,
        min(create_time) OVER (PARTITION BY uid) AS author_first_create_time
    FROM stg_moments
    WINDOW
        author_before AS (
            PARTITION BY uid ORDER BY create_time
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
        )
),
author_running AS (
    -- Count, mean and median of the author's like counts up to and including each row.
    SELECT
        uid,
        create_time,
        row_number() OVER running AS moments_with_likes,
        avg(like_count) OVER running AS mean_likes,
        median(like_count) OVER running AS median_likes
    FROM stg_moments
    WHERE like_count IS NOT NULL
    WINDOW running AS (PARTITION BY uid ORDER BY create_time ROWS UNBOUNDED PRECEDING)
),
author_as_of AS (
    -- Moments created at the same instant count together: keep the last row of each instant.
    SELECT DISTINCT ON (uid, create_time) *
    FROM author_running
    ORDER BY uid, create_time, moments_with_likes DESC
),
platform_running AS (
    -- The same over every author's moments.
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
    SELECT DISTINCT ON (create_time) create_time, mean_likes, median_likes
    FROM platform_running
    ORDER BY create_time, position DESC
),
with_settled AS (
    SELECT
        history.*,
        coalesce(author_as_of.moments_with_likes, 0) AS author_settled_moments,
        author_as_of.mean_likes AS author_mean,
        author_as_of.median_likes AS author_median,
        platform_as_of.mean_likes AS platform_mean_likes,
        platform_as_of.median_likes AS platform_median_likes
    FROM history
    ASOF LEFT JOIN author_as_of
        ON author_as_of.uid = history.uid
       AND author_as_of.create_time <= history.create_time - INTERVAL 3 DAYS
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
FROM with_settled
