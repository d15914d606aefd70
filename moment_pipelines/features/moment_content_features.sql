-- One row per moment: what the author wrote and attached, known at posting time.
-- Text length counts Unicode code points, as Python's len() does.
-- An emoji is a pictograph with its optional variation selector, skin tone and
-- zero-width-joiner parts (so "😮‍💨" counts once), or a Weibo-style bracket
-- emoticon such as "[哈哈]". A hashtag is Weibo-style: "#话题#" with no space inside.
-- A mention is "@" followed by a nickname, not preceded by a letter, digit or dot,
-- so e-mail addresses do not count.
CREATE OR REPLACE TABLE moment_content_features AS
SELECT
    moment_id,
    length(text) AS text_length,
    len(regexp_extract_all(
        text,
        '[\x{1F000}-\x{1FAFF}\x{2300}-\x{23FF}\x{2600}-\x{27BF}\x{2B00}-\x{2BFF}][\x{FE0F}\x{1F3FB}-\x{1F3FF}]?'
        || '(?:\x{200D}[\x{1F000}-\x{1FAFF}\x{2600}-\x{27BF}][\x{FE0F}\x{1F3FB}-\x{1F3FF}]?)*'
        || '|\[\p{Han}{1,5}\]'
    )) AS emoji_count,
    len(regexp_extract_all(text, '#[^#\s]{1,40}#')) AS hashtag_count,
    len(regexp_extract_all(text, 'https?://[A-Za-z0-9._~:/?#@!$&()*+,;=%-]+')) AS url_count,
    len(regexp_extract_all(text, '(?:^|[^A-Za-z0-9_.])@[\p{Han}A-Za-z0-9_-]{1,30}')) AS mention_count,
    has_pics,
    pic_count,
    type
FROM stg_moments
