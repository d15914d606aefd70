"""Write moments, likes and comments as mongoexport-style JSON lines, atomically.

Each line is one document in relaxed Extended JSON as `mongoexport` writes it:
integers as plain numbers and dates as {"$date": "2025-01-01T08:00:00.000Z"}.
Keys appear in the order of the app's documents, and the separators are those of
json.dumps, so a line round-trips through json.loads and json.dumps unchanged.
"""

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from .cities import CITIES
from .engagement import Comments, Likes
from .moments import Moments
from .population import Users
from .timeline import format_dates

MOMENT_CLASS = "moment"
LIKE_CLASS = "com.yy.xh.moment.repository.entity.LikeEntity"
COMMENT_CLASS = "com.yy.xh.moment.repository.entity.CommentEntity"

STATUS = 3  # the status of the app's sample documents and the only one the demo writes
TEXT_COMMENT = 1
PICTURE_COMMENT = 2
PUBLIC_VISIBILITY = 0

WRITE_CHUNK_LINES = 10_000
EXPORT_FILE_MODE = 0o644


def moment_lines(moments: Moments, users: Users, like_count: list[int], update_ms: list[int]) -> Iterator[str]:
    created = format_dates(moments.create_ms)
    updated = format_dates(update_ms)
    for index in range(len(moments)):
        author = int(moments.author[index])
        mention = int(moments.mention[index])
        document = {
            "_id": int(moments.id[index]),
            "uid": int(users.uid[author]),
            "type": int(moments.type[index]),
        }
        if moments.has_location[index]:
            document["location"] = {
                "area": CITIES[moments.place_city[index]].name,
                "lng": float(moments.lng[index]),
                "lat": float(moments.lat[index]),
            }
        document.update(
            {
                "text": moments.text[index],
                "pics": moments.pictures[index],
                "mentions": [int(users.uid[mention])] if mention >= 0 else [],
                "status": STATUS,
                "createTime": {"$date": created[index]},
                "mentioned": mention >= 0,
                "needPay": False,
                "visibleType": PUBLIC_VISIBILITY,
                "visibleUids": [],
                "ip": moments.ip[index],
                "ipLocation": moments.ip_location[index],
                "_class": MOMENT_CLASS,
                "updateTime": {"$date": updated[index]},
                "likeCount": like_count[index],
            }
        )
        yield json.dumps(document, ensure_ascii=False) + "\n"


def like_lines(likes: Likes, moments: Moments, users: Users) -> Iterator[str]:
    """Yield like documents. The fields are numbers and fixed ASCII strings, so an f-string matches json.dumps."""
    action = format_dates(likes.action_ms)
    moment_ids = moments.id[likes.moment].tolist()
    uids = users.uid[likes.user].tolist()
    for like_id, moment_id, uid, when in zip(likes.id.tolist(), moment_ids, uids, action):
        yield (
            f'{{"_id": {like_id}, "momentId": {moment_id}, "uid": {uid}, '
            f'"actionTime": {{"$date": "{when}"}}, "_class": "{LIKE_CLASS}"}}\n'
        )


def comment_lines(comments: Comments, moments: Moments, users: Users) -> Iterator[str]:
    published = format_dates(comments.publish_ms)
    moment_ids = moments.id[comments.moment].tolist()
    uids = users.uid[comments.user].tolist()
    to_uids = users.uid[comments.to_user].tolist()
    for index, comment_id in enumerate(comments.id.tolist()):
        pictures = comments.pictures[index]
        document = {
            "_id": comment_id,
            "momentId": moment_ids[index],
            "uid": uids[index],
            "toUid": to_uids[index],
            "content": comments.text[index],
            "publishTime": {"$date": published[index]},
            "status": STATUS,
            "publicationContent": {
                "commentType": PICTURE_COMMENT if pictures else TEXT_COMMENT,
                "text": comments.text[index],
                "pics": pictures,
            },
            "ip": comments.ip[index],
            "ipLocation": comments.ip_location[index],
            "_class": COMMENT_CLASS,
        }
        yield json.dumps(document, ensure_ascii=False) + "\n"


def write_temporary(path: Path, lines: Iterator[str], total: int, show_progress: bool) -> Path:
    """Write lines to a new temporary file next to path and return its path.

    The caller moves it into place with os.replace, so readers never see a
    half-written export. The temporary file is removed if writing fails.
    """
    temporary: Path | None = None
    try:
        with (
            tempfile.NamedTemporaryFile(
                "w",
                encoding="utf-8",
                newline="\n",
                dir=path.parent,
                prefix=f".{path.name}.",
                suffix=".tmp",
                delete=False,
            ) as handle,
            tqdm(total=total, desc=f"写入 {path.name}", unit="条", disable=not show_progress) as bar,
        ):
            temporary = Path(handle.name)
            chunk = []
            for line in lines:
                chunk.append(line)
                if len(chunk) == WRITE_CHUNK_LINES:
                    handle.write("".join(chunk))
                    bar.update(len(chunk))
                    chunk = []
            handle.write("".join(chunk))
            bar.update(len(chunk))
            handle.flush()
            os.fsync(handle.fileno())

        # NamedTemporaryFile creates the file as 0600. Exports are ordinary data files.
        os.chmod(temporary, EXPORT_FILE_MODE)
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise
    return temporary
