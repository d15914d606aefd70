"""Demo data: synthetic MongoDB exports of the moments app with planted signals.

``python -m moment_pipelines.demo`` writes ``moments.json``, ``likes.json`` and
``comments.json`` to ``data/demo`` (see ``--help``). From Python, call
``generate(out_dir, n_moments=100_000, seed=20250101)``. Each file contains one
document per line in relaxed Extended JSON, as ``mongoexport`` writes it: plain
integers, and dates as ``{"$date": "2025-01-01T08:00:00.000Z"}``. The documents
follow the app's schema, for example ``_class``, ``likeCount`` and ``ipLocation``.

Beside the exports, ``images/`` contains a local mirror of the picture URLs: a
pool of small JPEG, PNG and WebP files and ``images/manifest.tsv``, which maps
each URL to one of them (``--no-images`` skips it). The 100,000-moment demo
has 1,800 pool files and a mirror of about 40 MB on disk, 24 MB of it the manifest.

Scale: per moment about 10 likes and 1.5 comments, and 0.21 users (at least 50).
The default 100,000 moments give about 1,000,000 likes, 150,000 comments and
21,000 users. The same seed and size give byte-identical files.

The export covers 2025-01-01 00:00 to 2025-07-01 00:00 Asia/Shanghai
(2024-12-31T16:00Z to 2025-06-30T16:00Z). Likes and comments that would arrive
after the end are missing, as in a real export, so recent moments have fewer.

Moment ``type`` values:

- 1 纯文字: every moment without pictures.
- 2 图文日常: picture posts on 工作, 健身, 电影, 情感, 节日, 读书 or 日常, and
  10 % of picture posts on 美食, 旅行 or 宠物.
- 3 美食探店: the other picture posts on 美食.
- 4 旅行风景: the other picture posts on 旅行.
- 5 萌宠: the other picture posts on 宠物.

Other fields: ``status`` is always 3, as in the app's sample documents, so the
demo has no deleted or hidden items. ``visibleType`` is always 0 (public) and ``needPay``
always false. ``location`` is present on 60 % of moments: the home city, or the
destination of a travel post, plus normal jitter with a standard deviation of
0.03° (about 3 km). A moment's ``ipLocation`` is the province short name of the
same city, and a comment's that of the commenter's home city. ``mentions``
contains the uid of the user named by ``@昵称`` in the text, if any. Comments
with a picture have ``commentType`` 2, the others 1.

Planted signals
---------------

Rates multiply. The like rate of a moment is the product of the first six
factors and a gamma noise term (shape 2, mean 1), rescaled so that about 10
likes per moment arrive before the export end.

.. list-table::
   :header-rows: 1
   :widths: 18 58 24

   * - Signal
     - How it is generated
     - Scenario that can learn it
   * - Author popularity
     - Each user has a popularity drawn from lognormal(0, 1). The like rate is
       proportional to it, so a few authors collect most likes.
     - Like-count regression (author features)
   * - Pictures
     - ×0.6 without pictures, ×(1 + 0.03·n) with n pictures (1 to 9).
     - Like-count regression
   * - Local posting hour
     - ×1.4 to ×1.55 for posts made 19:00-23:00 Asia/Shanghai, ×0.5 to ×0.55 for
       02:00-06:00, ×1 around midday (timeline.HOUR_LIKE_FACTOR).
     - Like-count regression, best time to post
   * - Type
     - ×0.75, 1.0, 1.1, 1.25, 1.35 for types 1 to 5.
     - Like-count regression
   * - Text length
     - ×(0.75 + 0.55·exp(-ln((L+1)/60)²/2)) for L characters: 1.3 at 60 characters,
       about 0.8 for a few characters, about 0.9 at 300.
     - Like-count regression (text features)
   * - Sentiment
     - Positive texts carry phrases with 开心, 快乐, 喜欢, 幸福, 美好 or negations such as
       不难过, 不累: ×1.25. Negative ones carry 难过, 伤心, 失望, 讨厌, 累, 不开心 or 不喜欢: ×0.75.
       Neutral texts contain none of these words, except festival greetings such
       as 元旦快乐.
     - Text sentiment and like-count regression from text
   * - Exposure time
     - Likes arrive 1 s plus a delay from 85 % Exp(mean 3 h) and 15 % Exp(mean 3
       days), so about 89 % within a day. Likes after the export end are dropped.
     - Like-count models that must use the time a moment was visible
   * - Favourite authors
     - Each user has 1 + Poisson(3) favourite authors, drawn by popularity, 40 %
       from their own city. 30 % of likes and 40 % of comments come from the
       author's fans.
     - Like prediction and recommendation: repeat user-author interaction
   * - Same city, province
     - 15 % of likes come from users in the author's city and 10 % from the
       author's province.
     - Recommendation: geographic features
   * - Favourite type
     - 15 % of likes come from users whose favourite type is the moment's type. A
       user's favourite type is the picture type of their main topic for 4 users in
       5 and random otherwise.
     - Recommendation: user-type affinity
   * - General popularity
     - 30 % of likes come from any user, weighted by the user's activity
       (lognormal(0, 1)). Active likers like much more than others.
     - Popularity baseline
   * - Comment topic
     - Replies are short answers (谢谢, 对呀) 60 % of the time. Half of the other
       comments on negative moments are comfort (抱抱, 加油). Of the rest, 65 % use the
       topic's templates with the moment's own words (the same dish, pet or book)
       and 35 % are generic (哈哈哈, 好棒).
     - Comment text and topic models
   * - Comment count
     - Proportional to (like rate)^0.8, ×1.4 for 情感 and ×1.2 for 节日. About 10 % of
       comments reply to an earlier commenter (toUid is that commenter), about half
       of them by the author.
     - Comment-count regression
   * - Posting rhythm
     - Local posting hours follow timeline.POSTING_HOUR_WEIGHTS: an evening peak
       19:00-23:00 and a trough 02:00-06:00. Weekends get ×1.15 moments, and daily
       volume grows by 30 % over the export.
     - Activity forecasting, time features
   * - Holidays
     - Within one day of a holiday in timeline.HOLIDAYS, 30 % of moments are 节日
       posts that name it (春节, 端午节 ...).
     - Topic trends
   * - User topics
     - Each user has two favourite topics, and 70 % of their moments are on one of
       them. Topic sets the share of pictures and of sentiment.
     - User interest models
   * - Picture content
     - Each picture URL maps to a small image file in ``images/`` (see
       demo/images.py) drawn for the moment's type: indoor bars for 2, a plate
       of food for 3, sky, ground and a mountain for 4, a furry head for 5. 20 %
       of URLs map to an ambiguous blend of two types, 2 % have no file, and a
       few pool files are truncated so decoding them fails.
     - Moment type from pictures
   * - Type from text
     - The text names the topic, not the type: 10 % of food, travel and pet
       picture posts are type 2, the text never shows whether pictures exist
       (type 1 against 2 on 工作, 情感, 日常 ...), and 8 % of picture posts have
       no text. Text alone therefore classifies the type imperfectly, and so do
       pictures alone.
     - Moment type from text and pictures

Each like or comment source that finds no candidate, such as the fans of an
author nobody follows, falls back to "any user". Likers never like their own
moment or the same moment twice.
"""

from .generator import DemoSummary, generate

__all__ = ["DemoSummary", "generate"]
