"""Build moment texts, comment texts and nicknames from the word lists in topics.py."""

from .sampling import UniformStream
from .topics import (
    COMFORT_COMMENTS,
    COMMON_SLOTS,
    FILLER_SENTENCES,
    GENERAL_NEGATIVE,
    GENERAL_POSITIVE,
    GENERIC_COMMENTS,
    NICKNAME_ADJECTIVES,
    NICKNAME_LATIN,
    NICKNAME_NOUNS,
    NICKNAME_PREFIXES,
    REPLY_COMMENTS,
    Topic,
)

POSITIVE = 1
NEUTRAL = 0
NEGATIVE = -1

HASHTAG_RATE = 0.15
EMOJI_RATE = 0.55
COMMENT_EMOJI_RATE = 0.15
MAX_SENTENCE_TRIES = 4

URL_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class _SlotValues:
    """Mapping for str.format_map that fills slots from the context or the word lists.

    With remember=True a word drawn for a slot is stored in the context, so every
    later sentence of the same moment, and the comments on it, name the same dish,
    pet or book.
    """

    def __init__(self, stream: UniformStream, topic: Topic, context: dict[str, str], remember: bool) -> None:
        self._stream = stream
        self._topic = topic
        self._context = context
        self._remember = remember

    def __getitem__(self, key: str) -> str:
        if key in self._context:
            return self._context[key]
        if key in self._topic.slots:
            value = self._stream.pick(self._topic.slots[key])
        else:
            value = self._stream.pick(COMMON_SLOTS[key])
        if self._remember:
            self._context[key] = value
        return value


def fill_template(
    stream: UniformStream, template: str, topic: Topic, context: dict[str, str], remember: bool = False
) -> str:
    return template.format_map(_SlotValues(stream, topic, context, remember))


def draw_sentiment(stream: UniformStream, topic: Topic) -> int:
    """Return POSITIVE, NEUTRAL or NEGATIVE with the topic's shares."""
    u = stream.uniform()
    if u < topic.positive_rate:
        return POSITIVE
    if u < topic.positive_rate + topic.negative_rate:
        return NEGATIVE
    return NEUTRAL


def draw_sentence_count(stream: UniformStream, topic: Topic) -> int:
    """Return the number of sentences of a moment: mostly 1 to 4, sometimes an essay of 12 to 30."""
    u = stream.uniform()
    if u < 0.42:
        return 1
    if u < 0.80:
        return stream.integer(2, 4)
    if u < 1.0 - topic.long_post_rate:
        return stream.integer(5, 10)
    return stream.integer(12, 30)


def _draw_new_sentence(stream: UniformStream, topic: Topic, context: dict[str, str], written: list[str]) -> str | None:
    """Return a topic or filler sentence not yet in written, or None after a few failed tries."""
    for _ in range(MAX_SENTENCE_TRIES):
        if stream.chance(0.6):
            sentence = fill_template(stream, stream.pick(topic.templates), topic, context, remember=True)
        else:
            sentence = stream.pick(FILLER_SENTENCES)
        if sentence not in written:
            return sentence
    return None


def _sentiment_phrase(stream: UniformStream, topic: Topic, sentiment: int) -> str:
    if sentiment == POSITIVE:
        pool = topic.positive if stream.chance(0.7) else GENERAL_POSITIVE
    else:
        pool = topic.negative if stream.chance(0.7) else GENERAL_NEGATIVE
    return stream.pick(pool)


def _join_sentences(stream: UniformStream, sentences: list[str], sentiment: int) -> str:
    """Join with Chinese punctuation. Positive posts end with ！ more often and negative ones with …"""
    endings = {POSITIVE: ("！", "。", "～"), NEUTRAL: ("。", "", "～"), NEGATIVE: ("…", "。", "")}[sentiment]
    parts = []
    for index, sentence in enumerate(sentences):
        is_last = index == len(sentences) - 1
        if is_last:
            parts.append(sentence + stream.pick(endings))
        elif stream.chance(0.6):
            parts.append(sentence + "，")
        else:
            parts.append(sentence + "。")
    return "".join(parts)


def compose_moment_text(
    stream: UniformStream,
    topic: Topic,
    sentiment: int,
    sentence_count: int,
    context: dict[str, str],
    mention_nickname: str | None = None,
    add_url: bool = False,
) -> str:
    """Write a moment text on the topic, carrying the given sentiment in one or two phrases.

    Adds the slot words it draws to context (see _SlotValues).
    """
    sentences = [fill_template(stream, stream.pick(topic.templates), topic, context, remember=True)]
    for _ in range(sentence_count - 1):
        sentence = _draw_new_sentence(stream, topic, context, sentences)
        if sentence is not None:
            sentences.append(sentence)

    if sentiment != NEUTRAL:
        phrase_count = 1 if sentence_count < 5 else 2
        for _ in range(phrase_count):
            position = stream.integer(1, len(sentences))
            sentences.insert(position, _sentiment_phrase(stream, topic, sentiment))

    text = _join_sentences(stream, sentences, sentiment)

    if stream.chance(EMOJI_RATE):
        for _ in range(stream.integer(1, 3)):
            text += stream.pick(topic.emoji)

    if stream.chance(HASHTAG_RATE):
        hashtag = fill_template(stream, stream.pick(topic.hashtags), topic, context, remember=True)
        text = hashtag + text if stream.chance(0.5) else text + " " + hashtag

    if mention_nickname is not None:
        text += f" @{mention_nickname}"

    if add_url:
        code = "".join(stream.pick(URL_ALPHABET) for _ in range(7))
        text += f" http://t.cn/{code}"

    return text


def compose_comment_text(
    stream: UniformStream,
    topic: Topic,
    moment_sentiment: int,
    is_reply: bool,
    context: dict[str, str],
) -> str:
    """Write a comment on a moment of the given topic and sentiment."""
    if is_reply and stream.chance(0.6):
        text = stream.pick(REPLY_COMMENTS)
    elif moment_sentiment == NEGATIVE and stream.chance(0.5):
        text = stream.pick(COMFORT_COMMENTS)
    elif stream.chance(0.65):
        text = fill_template(stream, stream.pick(topic.comments), topic, context)
    else:
        text = stream.pick(GENERIC_COMMENTS)

    if stream.chance(COMMENT_EMOJI_RATE):
        text += stream.pick(topic.emoji)
    return text


def make_nickname(stream: UniformStream) -> str:
    """Return a nickname such as 小柠檬, 迷路的鹿 or Coco_27."""
    style = stream.uniform()
    if style < 0.35:
        return stream.pick(NICKNAME_PREFIXES) + stream.pick(NICKNAME_NOUNS)
    if style < 0.75:
        return stream.pick(NICKNAME_ADJECTIVES) + stream.pick(NICKNAME_NOUNS)
    return f"{stream.pick(NICKNAME_LATIN)}_{stream.integer(1, 99)}"
