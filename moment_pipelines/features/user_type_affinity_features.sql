-- One row per like_behavior_candidates row: how much of the user's earlier liking
-- went to moments of the candidate moment's type.
--
-- The data has no impressions, so "like rate on a type" is the share of the
-- user's likes that went to that type, with Laplace smoothing:
--     user_type_like_share = (user_type_likes + 1) / (user_prior_likes + number of types)
-- A user with no earlier likes gets 1 / number of types, the same share for
-- every type. Point in time: only likes strictly before the candidate's
-- event_time count (the frame ends before the current instant, EXCLUDE GROUP).
-- Self-likes and likes of unknown moments are left out.
CREATE OR REPLACE TABLE user_type_affinity_features AS
WITH
liked_types AS (
    SELECT likes.uid, moments.type, likes.action_time AS event_time, 1 AS is_like, NULL AS moment_id
    FROM stg_likes AS likes
    JOIN stg_moments AS moments USING (moment_id)
    WHERE NOT likes.is_self_like
),
timeline AS (
    SELECT * FROM liked_types
    UNION ALL
    SELECT candidates.uid, moments.type, candidates.event_time, 0, candidates.moment_id
    FROM like_behavior_candidates AS candidates
    JOIN stg_moments AS moments USING (moment_id)
),
counted AS (
    SELECT
        uid,
        moment_id,
        event_time,
        is_like,
        count(*) FILTER (WHERE is_like = 1) OVER user_before AS user_prior_likes,
        count(*) FILTER (WHERE is_like = 1) OVER user_type_before AS user_type_likes
    FROM timeline
    WINDOW
        user_before AS (
            PARTITION BY uid ORDER BY event_time
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
        ),
        user_type_before AS (
            PARTITION BY uid, type ORDER BY event_time
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
        )
)
SELECT
    uid,
    moment_id,
    event_time,
    user_prior_likes,
    user_type_likes,
    (user_type_likes + 1) / (user_prior_likes + (SELECT count(DISTINCT type) FROM stg_moments)) AS user_type_like_share
FROM counted
WHERE is_like = 0
