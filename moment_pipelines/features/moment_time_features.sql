-- One row per moment: when it was posted, in Asia/Shanghai local time, and how
-- long after the same author's previous moment.
-- The previous moment is the latest one created strictly before this one;
-- moments the author posted at the very same instant are not "previous".
CREATE OR REPLACE TABLE moment_time_features AS
SELECT
    moment_id,
    create_hour_local,
    create_weekday_local,
    (epoch(create_time) - epoch(max(create_time) OVER author_before)) / 60.0 AS minutes_since_previous_moment
FROM stg_moments
WINDOW author_before AS (
    PARTITION BY uid ORDER BY create_time
    RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
)
