-- One row per (moment, user): the earliest like wins when a user liked twice.
-- Likes of unknown moments are kept and flagged as orphans.
CREATE OR REPLACE TABLE stg_likes AS
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY moment_id, uid ORDER BY action_time, like_id) AS like_rank
    FROM raw_likes
)
SELECT
    ranked.like_id,
    ranked.moment_id,
    ranked.uid,
    ranked.action_time,
    timezone('Asia/Shanghai', ranked.action_time) AS action_time_local,
    moments.moment_id IS NULL AS is_orphan,
    coalesce(ranked.action_time < moments.create_time, false) AS is_before_moment,
    coalesce(ranked.uid = moments.uid, false) AS is_self_like
FROM ranked
LEFT JOIN stg_moments AS moments ON moments.moment_id = ranked.moment_id
WHERE ranked.like_rank = 1
