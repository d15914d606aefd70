-- One row per comment whose ipLocation names a known province: where the
-- commenter was when writing it. Users who never post a located moment get
-- their home from these rows and from their moments' ipLocation.
SELECT comments.uid, epoch_ms(comments.publish_time) AS seen_time_ms, provinces.short_name AS province
FROM stg_comments AS comments
JOIN province_coordinates AS provinces ON provinces.short_name = comments.ip_location
ORDER BY seen_time_ms, comments.uid
