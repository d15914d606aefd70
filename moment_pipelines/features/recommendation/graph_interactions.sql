-- One row per user–likes–moment and user–comments–moment edge.
-- A user's likes and comments on their own moments are left out (the
-- user–posts–moment edge already links them), and so are events stamped
-- before the moment was created and events on moments missing from
-- stg_moments. stg_likes keeps one like per user and moment; a user who
-- commented several times on one moment gets one edge at the first comment.
SELECT 'likes' AS relation, likes.uid, likes.moment_id, epoch_ms(likes.action_time) AS event_time_ms
FROM stg_likes AS likes
JOIN stg_moments AS moments USING (moment_id)
WHERE likes.uid <> moments.uid AND likes.action_time >= moments.create_time
UNION ALL
SELECT 'comments' AS relation, comments.uid, comments.moment_id, epoch_ms(min(comments.publish_time)) AS event_time_ms
FROM stg_comments AS comments
JOIN stg_moments AS moments USING (moment_id)
WHERE comments.uid <> moments.uid AND comments.publish_time >= moments.create_time
GROUP BY comments.uid, comments.moment_id
ORDER BY event_time_ms, relation, uid, moment_id
