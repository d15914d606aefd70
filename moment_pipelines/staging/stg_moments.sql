-- One row per moment: cleaned text and pictures, no raw IP, Asia/Shanghai local time.
CREATE OR REPLACE TABLE stg_moments AS
WITH cleaned AS (
    SELECT
        moment_id,
        uid,
        type,
        status,
        coalesce(trim(text), '') AS text,
        -- Drop empty URLs and repeated ones, keeping the first occurrence's order.
        list_filter(
            list_filter(pics, lambda url: trim(url) <> ''),
            lambda url, position: list_position(list_filter(pics, lambda u: trim(u) <> ''), url) = position
        ) AS pics,
        nullif(trim(location_area), '') AS location_area,
        location_lng,
        location_lat,
        -- Weibo shows "无" (none) when it has no location for a post.
        CASE WHEN trim(ip_location) IN ('', '无', '未知') THEN NULL ELSE trim(ip_location) END AS ip_location,
        like_count,
        create_time,
        coalesce(update_time, create_time) AS update_time
    FROM raw_moments
)
SELECT
    *,
    len(pics) AS pic_count,
    len(pics) > 0 AS has_pics,
    location_lng IS NOT NULL AND location_lat IS NOT NULL AS has_location,
    timezone('Asia/Shanghai', create_time) AS create_time_local,
    CAST(timezone('Asia/Shanghai', create_time) AS DATE) AS create_date_local,
    hour(timezone('Asia/Shanghai', create_time)) AS create_hour_local,
    isodow(timezone('Asia/Shanghai', create_time)) AS create_weekday_local
FROM cleaned
