-- One row per like_behavior_candidates row: how far the user was from the moment's place.
--
-- User location at the event time, point in time:
--   1. the median longitude and latitude of the user's own moments with
--      coordinates created strictly before the event time, else
--   2. the centre of the province of the user's latest ipLocation before the
--      event time (from their moments and comments), from province_coordinates.
-- Moment location: its own coordinates, else the centre of its ipLocation province.
-- distance_km is the great-circle (haversine) distance on a sphere of
-- radius 6371.0088 km, the mean Earth radius.
--
-- Missing values are explicit: when either location is unknown, distance_km
-- is 0 and distance_missing is 1; when either province is unknown,
-- same_province is 0 and province_missing is 1. The model learns what a
-- missing value means from the flag instead of reading 0 as "same place".
CREATE OR REPLACE TEMP MACRO haversine_km(lat1, lng1, lat2, lng2) AS
    2 * 6371.0088 * asin(sqrt(
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lng2 - lng1) / 2), 2)
    ));

CREATE OR REPLACE TABLE user_moment_geo_features AS
WITH
-- Expanding median of each user's located moments, including all moments up to that instant.
user_points AS (
    SELECT
        uid,
        create_time,
        median(location_lng) OVER user_until_now AS lng,
        median(location_lat) OVER user_until_now AS lat
    FROM stg_moments
    WHERE has_location
    WINDOW user_until_now AS (PARTITION BY uid ORDER BY create_time RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
user_places AS (
    SELECT uid, create_time AS seen_time, ip_location FROM stg_moments WHERE ip_location IS NOT NULL
    UNION ALL
    SELECT uid, publish_time, ip_location FROM stg_comments WHERE ip_location IS NOT NULL
),
candidates AS (
    SELECT
        candidates.uid,
        candidates.moment_id,
        candidates.event_time,
        moments.location_lng AS moment_lng,
        moments.location_lat AS moment_lat,
        moments.ip_location AS moment_province
    FROM like_behavior_candidates AS candidates
    JOIN stg_moments AS moments USING (moment_id)
),
-- ASOF picks the latest row strictly before the event time.
located AS (
    SELECT
        candidates.*,
        points.lng AS user_point_lng,
        points.lat AS user_point_lat,
        places.ip_location AS user_province
    FROM candidates
    ASOF LEFT JOIN user_points AS points
        ON points.uid = candidates.uid AND candidates.event_time > points.create_time
    ASOF LEFT JOIN user_places AS places
        ON places.uid = candidates.uid AND candidates.event_time > places.seen_time
),
resolved AS (
    SELECT
        located.uid,
        located.moment_id,
        located.event_time,
        located.user_province,
        located.moment_province,
        coalesce(located.user_point_lng, user_centre.lng) AS user_lng,
        coalesce(located.user_point_lat, user_centre.lat) AS user_lat,
        coalesce(located.moment_lng, moment_centre.lng) AS moment_lng,
        coalesce(located.moment_lat, moment_centre.lat) AS moment_lat
    FROM located
    LEFT JOIN province_coordinates AS user_centre ON user_centre.short_name = located.user_province
    LEFT JOIN province_coordinates AS moment_centre ON moment_centre.short_name = located.moment_province
)
SELECT
    uid,
    moment_id,
    event_time,
    coalesce(haversine_km(user_lat, user_lng, moment_lat, moment_lng), 0.0) AS distance_km,
    CAST(user_lat IS NULL OR moment_lat IS NULL AS INTEGER) AS distance_missing,
    coalesce(CAST(user_province = moment_province AS INTEGER), 0) AS same_province,
    CAST(user_province IS NULL OR moment_province IS NULL AS INTEGER) AS province_missing
FROM resolved
