-- One row per like_behavior_candidates row: the moment as the user met it at the
-- event time: how old it was and how many likes and comments it had by then.
--
-- Point in time: likes and comments strictly before the candidate's
-- event_time count (the frame ends before the current instant, EXCLUDE
-- GROUP), so the like that makes a positive is not part of its own count.
-- moment_likes_before_event is also what the popularity baseline ranks by.
CREATE OR REPLACE TABLE moment_exposure_features AS
WITH
timeline AS (
    SELECT moment_id, action_time AS event_time, 'like' AS kind, NULL AS uid
    FROM stg_likes
    WHERE NOT is_orphan
    UNION ALL
    SELECT moment_id, publish_time, 'comment', NULL
    FROM stg_comments
    WHERE NOT is_orphan
    UNION ALL
    SELECT moment_id, event_time, 'candidate', uid
    FROM like_behavior_candidates
),
counted AS (
    SELECT
        uid,
        moment_id,
        event_time,
        kind,
        count(*) FILTER (WHERE kind = 'like') OVER before_event AS moment_likes_before_event,
        count(*) FILTER (WHERE kind = 'comment') OVER before_event AS moment_comments_before_event
    FROM timeline
    WINDOW before_event AS (
        PARTITION BY moment_id ORDER BY event_time
        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
    )
)
SELECT
    counted.uid,
    counted.moment_id,
    counted.event_time,
    (epoch(counted.event_time) - epoch(moments.create_time)) / 3600.0 AS moment_age_hours,
    counted.moment_likes_before_event,
    counted.moment_comments_before_event
FROM counted
JOIN stg_moments AS moments USING (moment_id)
WHERE counted.kind = 'candidate'
