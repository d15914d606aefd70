"""Text cleaning for training pairs and the sanitiser applied to every generated comment.

`sanitize_comment` removes URLs, phone numbers and @handles. `clean_text`
sanitises and also collapses runs of one repeated character, so "哈哈哈哈哈哈"
and "哈哈哈" become the same training target. Both training texts and the text
a user types into the generator go through `clean_text`, so the model gets
input at generation time in the same form as in training.
"""

import re

# http(s) links, "www." links and bare domains with a common suffix, such as t.cn/xyz, also
# when Chinese text touches them on either side.
_URL = re.compile(
    r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
    r"|(?<![A-Za-z0-9\-.])[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.(?:com|cn|net|org|io|me|cc|co|tv|info|top|xyz)"
    r"(?![A-Za-z0-9\-])[A-Za-z0-9\-._~/?#%&=+]*",
    re.IGNORECASE,
)

# Seven or more digits, each pair separated by at most one space, dash or dot: mobile
# numbers (13812345678, 138-1234-5678), landlines (010 12345678) and "+86" prefixes.
# \d also matches full-width digits. Long amounts and dates written as digits are removed too.
# NOTE: numbers spelled with Chinese numerals (一三八…) or split by other characters are not caught.
_PHONE = re.compile(r"[+＋]?\d(?:[\s\-.]?\d){6,}")

# "回复@昵称:" and "@昵称": a Weibo handle ends at whitespace, punctuation or after 30 characters.
_MENTION = re.compile(r"(?:回复\s*)?[@＠][^\s@＠:：,，.。!！?？;；、)）\]】]{0,30}[:：]?")

# Any "@" left after the patterns above, for example a lone one between two removed parts.
_AT_SIGN = re.compile(r"[@＠]")

_WHITESPACE = re.compile(r"\s+")

DEFAULT_MAX_REPEAT = 3


def sanitize_comment(text: str) -> str:
    """Remove URLs, phone numbers and @handles from `text` and normalise whitespace.

    The result contains no "@" or "＠", no "http://", "https://" or "www.", and
    no run of seven or more digits. It may be empty.
    """
    # Removal can join two harmless halves into a new match ("138" + "@x " + "12345678"),
    # so the patterns run until the text stops changing. A round that changes the text
    # either shortens it or only normalises whitespace, so the loop ends.
    while True:
        cleaned = _URL.sub("", text)
        cleaned = _MENTION.sub("", cleaned)
        cleaned = _PHONE.sub("", cleaned)
        cleaned = _AT_SIGN.sub("", cleaned)
        cleaned = _WHITESPACE.sub(" ", cleaned).strip()
        if cleaned == text:
            break
        text = cleaned
    return text


def collapse_repeats(text: str, max_repeat: int = DEFAULT_MAX_REPEAT) -> str:
    """Shorten every run of one character longer than `max_repeat` to `max_repeat` characters."""
    if max_repeat < 1:
        raise ValueError(f"max_repeat must be at least 1, got {max_repeat}")
    return re.sub(r"(.)\1{%d,}" % max_repeat, lambda match: match.group(1) * max_repeat, text)


def clean_text(text: str | None, max_repeat: int = DEFAULT_MAX_REPEAT) -> str:
    """Sanitise `text` and collapse repeated characters; None becomes "".

    Cleaning twice gives the same result as cleaning once.
    """
    if not text:
        return ""
    return collapse_repeats(sanitize_comment(text), max_repeat)


def contains_personal_data(text: str) -> bool:
    """Return True when `text` contains a URL, a phone number or an @handle."""
    return bool(_URL.search(text) or _PHONE.search(text) or _AT_SIGN.search(text))
