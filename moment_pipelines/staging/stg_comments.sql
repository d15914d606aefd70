-- One row per comment with its text, local time and orphan flag; no raw IP.
CREATE OR REPLACE TABLE stg_comments AS
SELECT
    comments.comment_id,
    comments.moment_id,
    comments.uid,
    comments.to_uid,
    coalesce(nullif(trim(comments.content), ''), trim(comments.publication_text), '') AS content,
    comments.comment_type,
    comments.status,
    CASE WHEN trim(comments.ip_location) IN ('', '无', '未知') THEN NULL ELSE trim(comments.ip_location) END AS ip_location,
    comments.publish_time,
    timezone('Asia/Shanghai', comments.publish_time) AS publish_time_local,
    moments.moment_id IS NULL AS is_orphan,
    coalesce(comments.publish_time < moments.create_time, false) AS is_before_moment
FROM raw_comments AS comments
LEFT JOIN stg_moments AS moments ON moments.moment_id = comments.moment_id
