-- One row per like_behavior_candidates row: how the user and the moment's author
-- had interacted before the event time.
--
-- Point in time: only likes and comments strictly before the candidate's
-- event_time count. Candidate rows and interaction events share one timeline
-- per (user, author) pair. The window frame ends before the current time,
-- because EXCLUDE GROUP drops rows at the very same instant, so the like that
-- makes a positive never counts itself.
--
-- Directions:
--   likes_to_author       the user's likes of the author's moments;
--   comments_to_author    the user's comments under the author's moments;
--   comments_from_author  the author's comments under the user's moments, and
--                         the author's replies addressed to the user anywhere
--                         (a comment that is both counts once).
-- Self-interactions (a user liking or commenting on their own moment) are left out.
CREATE OR REPLACE TABLE user_author_interaction_features AS
WITH
interactions AS (
    SELECT likes.uid, moments.uid AS author_uid, likes.action_time AS event_time, 'like_to' AS kind
    FROM stg_likes AS likes
    JOIN stg_moments AS moments USING (moment_id)
    WHERE NOT likes.is_self_like
    UNION ALL
    SELECT comments.uid, moments.uid, comments.publish_time, 'comment_to'
    FROM stg_comments AS comments
    JOIN stg_moments AS moments USING (moment_id)
    WHERE comments.uid <> moments.uid
    UNION ALL
    SELECT DISTINCT ON (comment_id, receiver_uid) receiver_uid, commenter_uid, publish_time, 'comment_from'
    FROM (
        SELECT comments.comment_id, moments.uid AS receiver_uid, comments.uid AS commenter_uid, comments.publish_time
        FROM stg_comments AS comments
        JOIN stg_moments AS moments USING (moment_id)
        UNION ALL
        SELECT comment_id, to_uid, uid, publish_time FROM stg_comments WHERE to_uid IS NOT NULL
    )
    WHERE receiver_uid <> commenter_uid
),
timeline AS (
    SELECT uid, author_uid, event_time, kind, NULL AS moment_id FROM interactions
    UNION ALL
    SELECT uid, author_uid, event_time, 'candidate', moment_id FROM like_behavior_candidates
),
counted AS (
    SELECT
        uid,
        moment_id,
        event_time,
        kind,
        count(*) FILTER (WHERE kind = 'like_to') OVER before_event AS likes_to_author,
        count(*) FILTER (WHERE kind = 'comment_to') OVER before_event AS comments_to_author,
        count(*) FILTER (WHERE kind = 'comment_from') OVER before_event AS comments_from_author
    FROM timeline
    WINDOW before_event AS (
        PARTITION BY uid, author_uid ORDER BY event_time
        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
    )
)
SELECT uid, moment_id, event_time, likes_to_author, comments_to_author, comments_from_author
FROM counted
WHERE kind = 'candidate'
