"""Masking of user ids and IP addresses in what the project shows: metadata previews and samples.

Tables keep full user ids because joins need them, and only the raw layer
keeps IP addresses. Anything rendered for people to read goes through
`mask_frame` (table previews) or `mask_text` (free text) first.
"""

import re

import numpy as np
import pandas as pd

UID_VISIBLE_CHARS = 3  # trailing characters of a user id left visible, enough to tell rows apart
MASK = "***"

_IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.])")
# At least three colons, so that clock times such as 16:02:09 do not match.
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])([0-9A-Fa-f]{1,4}):(?:[0-9A-Fa-f]{0,4}:){2,6}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
# Picture URLs of the app embed the author's uid in the file name, e.g. and_3321830351_1c27….webp.
_URL_DIGITS = re.compile(r"\d{6,}")


def mask_uid(value) -> str | None:
    """Return a user id with all but its last UID_VISIBLE_CHARS characters replaced, e.g. ***351."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    # A column with missing ids arrives as floats: show 3321830351.0 as ***351, not ***1.0.
    text = str(int(value)) if isinstance(value, (float, np.floating)) and float(value).is_integer() else str(value)
    return MASK + text[-UID_VISIBLE_CHARS:] if len(text) > UID_VISIBLE_CHARS else MASK


def mask_ip(value) -> str | None:
    """Return an IP address with only its first IPv4 octet or IPv6 group left, e.g. 114.*.*.*."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    if _IPV4.fullmatch(text):
        return text.split(".")[0] + ".*.*.*"
    if ":" in text:
        return text.split(":")[0] + ":*"
    return MASK


def mask_text(text: str) -> str:
    """Replace every IPv4 and IPv6 address inside free text with its masked form."""
    text = _IPV4.sub(lambda match: mask_ip(match.group(0)), text)
    return _IPV6.sub(lambda match: mask_ip(match.group(0)), text)


def mask_url(url) -> str | None:
    """Replace long digit runs in a URL (user ids in picture file names) with their masked form."""
    if url is None or (not isinstance(url, str) and pd.isna(url)):
        return None
    return _URL_DIGITS.sub(lambda match: mask_uid(match.group(0)), mask_text(str(url)))


def _is_uid_column(name: str) -> bool:
    return name in ("uid", "uids") or name.endswith(("_uid", "_uids"))


def _is_ip_column(name: str) -> bool:
    return name == "ip" or name.endswith("_ip")


def _is_url_column(name: str) -> bool:
    return name in ("url", "pics") or name.endswith(("_url", "_urls"))


def _each(value, mask):
    """Apply `mask` to a scalar, or to every element of a list-valued cell."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [mask(item) for item in value]
    return mask(value)


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` with user ids, IP addresses and URLs masked, for display.

    Columns are recognised by name: `uid`, `uids`, `*_uid` and `*_uids` hold
    user ids, `ip` and `*_ip` hold IP addresses, `url`, `pics` and `*_url(s)`
    hold URLs. IP addresses inside any other text column are masked too.
    """
    masked = frame.copy()
    for column in masked.columns:
        name = str(column).lower()
        if _is_uid_column(name):
            masked[column] = masked[column].map(lambda value: _each(value, mask_uid))
        elif _is_ip_column(name):
            masked[column] = masked[column].map(lambda value: _each(value, mask_ip))
        elif _is_url_column(name):
            masked[column] = masked[column].map(lambda value: _each(value, mask_url))
        else:
            masked[column] = masked[column].map(lambda value: mask_text(value) if isinstance(value, str) else value)
    return masked
