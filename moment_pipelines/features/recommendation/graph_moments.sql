-- One row per moment: author, creation time and place.
-- The place is the moment's own coordinates when they are valid (inside the
-- latitude and longitude ranges, and not the (0, 0) that some clients send
-- for "unknown"); otherwise the centre of its ipLocation province from
-- province_coordinates; otherwise unknown (all place columns NULL).
WITH moments AS (
    SELECT
        *,
        has_location
            AND location_lat BETWEEN -90 AND 90
            AND location_lng BETWEEN -180 AND 180
            AND NOT (location_lat = 0 AND location_lng = 0) AS located
    FROM stg_moments
)
SELECT
    moments.moment_id,
    moments.uid,
    epoch_ms(moments.create_time) AS create_time_ms,
    CASE WHEN moments.located THEN 'location' WHEN provinces.short_name IS NOT NULL THEN 'ip_location' END AS place_source,
    CASE WHEN moments.located THEN moments.location_lat ELSE provinces.lat END AS lat,
    CASE WHEN moments.located THEN moments.location_lng ELSE provinces.lng END AS lng,
    provinces.short_name AS province
FROM moments
LEFT JOIN province_coordinates AS provinces ON provinces.short_name = moments.ip_location
ORDER BY moments.create_time, moments.moment_id
