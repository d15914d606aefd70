-- Scenario 2 candidates: (user, moment, event time) rows labelled 1 for a like and 0 for a sampled negative.
--
-- Positives are likes of known moments by someone other than the author,
-- at or after the moment's creation. When there are more than
-- $max_positives of them, a hash of (uid, moment_id, $seed) picks which.
--
-- The data has no impression log, so a negative is a moment the user could
-- plausibly have seen at the time of one of their likes but never liked. It
-- was created before that like and not written by the user, and the user
-- never liked it at any time (a liked pair is never a negative). Each positive gets up
-- to $negatives_per_positive negatives, drawn from three sources in this order:
--   engaged_author  moments by authors the user had liked or commented on
--                   before the like, created in the $window_hours before it,
--                   at most $engaged_author_negatives;
--   same_province   moments posted from the user's latest known province
--                   (ipLocation of their moments and comments before the
--                   like), at most $same_province_negatives;
--   feed            any moment, filling the rest.
-- Negatives are matched in age to what people like. Every draw takes the
-- age of a randomly picked positive at its like, and looks for the moment of
-- its source created closest to (event time - that age). For feed and
-- same_province that is the last moment created at or before that time.
-- Without this, a moment liked days after it was posted would be
-- recognisable as a positive by its age alone.
-- Random choices hash (positive, draw number, $seed, source), so the same
-- seed and data give the same rows. Draws that hit a liked, own or already
-- drawn moment are dropped, which is why $draws_per_source draws are made
-- per source. A negative keeps the positive's event time, so both fall into
-- the same time split.
CREATE OR REPLACE TABLE like_behavior_candidates AS
WITH
liked_pairs AS (
    SELECT DISTINCT uid, moment_id FROM stg_likes
),
eligible_likes AS (
    SELECT
        likes.uid,
        likes.moment_id,
        likes.action_time AS event_time,
        moments.uid AS author_uid,
        moments.create_time
    FROM stg_likes AS likes
    JOIN stg_moments AS moments USING (moment_id)
    WHERE NOT likes.is_orphan AND NOT likes.is_self_like AND NOT likes.is_before_moment
),
sampled_likes AS (
    SELECT *
    FROM eligible_likes
    QUALIFY row_number() OVER (ORDER BY hash(uid, moment_id, $seed), uid, moment_id) <= $max_positives
),
-- Numbered 1..n in time order after sampling; feed draws use the numbers as indexes.
positives AS (
    SELECT *, row_number() OVER (ORDER BY event_time, uid, moment_id) AS positive_id FROM sampled_likes
),
feed AS (
    SELECT moment_id, uid AS author_uid, create_time, ip_location FROM stg_moments
),

-- Every draw gets a target age: the age of a randomly picked positive at its like.
positive_ages AS (
    SELECT positive_id - 1 AS age_index, epoch(event_time) - epoch(create_time) AS age_seconds FROM positives
),
age_picks AS (
    SELECT
        p.positive_id,
        sources.sample_source,
        draws.draw,
        hash(p.positive_id, draws.draw, $seed, sources.sample_source) % totals.positive_count AS age_index
    FROM positives AS p
    CROSS JOIN (VALUES ('feed'), ('same_province'), ('engaged_author')) AS sources(sample_source)
    CROSS JOIN range($draws_per_source) AS draws(draw)
    CROSS JOIN (SELECT count(*) AS positive_count FROM positives) AS totals
),
targets AS (
    SELECT
        picks.positive_id,
        picks.sample_source,
        picks.draw,
        p.event_time - to_seconds(ages.age_seconds) AS target_time
    FROM age_picks AS picks
    JOIN positive_ages AS ages USING (age_index)
    JOIN positives AS p USING (positive_id)
),

-- Feed: the moment created last at or before the target time.
feed_draws AS (
    SELECT targets.positive_id, feed.moment_id, feed.author_uid, 'feed' AS sample_source, targets.draw AS draw_order
    FROM targets
    ASOF JOIN feed ON targets.target_time >= feed.create_time
    WHERE targets.sample_source = 'feed'
),

-- Same province: the moment from the user's province created last at or before the target time.
user_places AS (
    SELECT uid, create_time AS seen_time, ip_location FROM stg_moments WHERE ip_location IS NOT NULL
    UNION ALL
    SELECT uid, publish_time, ip_location FROM stg_comments WHERE ip_location IS NOT NULL
),
positive_provinces AS (
    SELECT positives.positive_id, places.ip_location AS user_province
    FROM positives
    ASOF JOIN user_places AS places
        ON places.uid = positives.uid AND positives.event_time > places.seen_time
),
province_draws AS (
    SELECT
        targets.positive_id,
        feed.moment_id,
        feed.author_uid,
        'same_province' AS sample_source,
        targets.draw AS draw_order
    FROM (
        SELECT targets.*, provinces.user_province
        FROM targets
        JOIN positive_provinces AS provinces USING (positive_id)
        WHERE targets.sample_source = 'same_province'
    ) AS targets
    ASOF JOIN feed
        ON feed.ip_location = targets.user_province AND targets.target_time >= feed.create_time
),

-- Engaged authors: their moments of the window, closest to the first target time first.
engagements AS (
    SELECT likes.uid, moments.uid AS author_uid, min(likes.action_time) AS first_time
    FROM stg_likes AS likes
    JOIN stg_moments AS moments USING (moment_id)
    WHERE NOT likes.is_self_like
    GROUP BY ALL
    UNION ALL
    SELECT comments.uid, moments.uid, min(comments.publish_time)
    FROM stg_comments AS comments
    JOIN stg_moments AS moments USING (moment_id)
    WHERE comments.uid <> moments.uid
    GROUP BY ALL
),
engaged_authors AS (
    SELECT uid, author_uid, min(first_time) AS first_time FROM engagements GROUP BY ALL
),
engaged_draws AS (
    SELECT
        p.positive_id,
        feed.moment_id,
        feed.author_uid,
        'engaged_author' AS sample_source,
        row_number() OVER (
            PARTITION BY p.positive_id
            ORDER BY abs(epoch(feed.create_time) - epoch(targets.target_time)), hash(feed.moment_id, $seed)
        ) - 1 AS draw_order
    FROM positives AS p
    JOIN targets
        ON targets.positive_id = p.positive_id AND targets.sample_source = 'engaged_author' AND targets.draw = 0
    JOIN engaged_authors AS engaged
        ON engaged.uid = p.uid AND engaged.first_time < p.event_time
    JOIN feed
        ON feed.author_uid = engaged.author_uid
        AND feed.create_time >= p.event_time - to_seconds($window_hours * 3600)
        AND feed.create_time < p.event_time
),

-- Valid draws, each moment once per positive, keeping its highest-priority source.
valid_draws AS (
    SELECT
        draws.*,
        CASE draws.sample_source WHEN 'engaged_author' THEN 1 WHEN 'same_province' THEN 2 ELSE 3 END AS source_priority
    FROM (
        SELECT * FROM engaged_draws
        UNION ALL
        SELECT * FROM province_draws
        UNION ALL
        SELECT * FROM feed_draws
    ) AS draws
    JOIN positives AS p USING (positive_id)
    WHERE draws.author_uid <> p.uid
        AND draws.moment_id <> p.moment_id
        AND NOT EXISTS (
            SELECT 1 FROM liked_pairs AS liked WHERE liked.uid = p.uid AND liked.moment_id = draws.moment_id
        )
    QUALIFY row_number() OVER (
        PARTITION BY draws.positive_id, draws.moment_id ORDER BY source_priority, draws.draw_order
    ) = 1
),
ranked_draws AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY positive_id, sample_source ORDER BY draw_order) AS rank_in_source
    FROM valid_draws
),
-- Engaged and same-province draws within their quotas come first; feed draws fill up to the total.
chosen_draws AS (
    SELECT *
    FROM ranked_draws
    WHERE sample_source = 'feed'
        OR (sample_source = 'engaged_author' AND rank_in_source <= $engaged_author_negatives)
        OR (sample_source = 'same_province' AND rank_in_source <= $same_province_negatives)
    QUALIFY row_number() OVER (PARTITION BY positive_id ORDER BY source_priority, rank_in_source)
        <= $negatives_per_positive
),
labelled AS (
    SELECT uid, moment_id, event_time, author_uid, 1 AS label, 'like' AS sample_source, positive_id
    FROM positives
    UNION ALL
    SELECT p.uid, chosen.moment_id, p.event_time, chosen.author_uid, 0, chosen.sample_source, p.positive_id
    FROM chosen_draws AS chosen
    JOIN positives AS p USING (positive_id)
)
SELECT uid, moment_id, event_time, author_uid, label, sample_source, positive_id
FROM labelled
-- Two likes of one user at the same instant could draw the same negative; keep one row per key.
QUALIFY row_number() OVER (PARTITION BY uid, moment_id, event_time ORDER BY label DESC, positive_id) = 1
ORDER BY event_time, positive_id, label DESC, moment_id
