"""Read documents from the files that `mongoexport` and GUI export tools write.

Accepted layouts, detected from the file itself:
- JSON lines (one document a line) or one JSON array of documents;
- relaxed or canonical Extended JSON, or plain JSON with ISO date strings;
- optionally gzip-compressed (`.gz`).

Documents are passed on as their original text; parsing and type checks
happen in DuckDB (`moment_pipelines.ingest.validate`). A line that is not
valid UTF-8 is passed on with the problem code `invalid_utf8`. The unparseable
tail of a broken JSON array is passed on as one document. Both end up in the
quarantine instead of being dropped.
"""

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from moment_pipelines.ingest.load import SourceBatch

EXPORT_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")

_WHITESPACE = " \t\r\n"


class ExportFileError(Exception):
    """An export directory or file that cannot be read at all."""


def find_export_file(export_dir: Path, collection: str) -> Path:
    """Return the one file for `collection` in `export_dir`, or raise ExportFileError."""
    candidates = [export_dir / f"{collection}{suffix}" for suffix in EXPORT_SUFFIXES]
    present = [path for path in candidates if path.is_file()]
    if not present:
        names = "、".join(path.name for path in candidates)
        raise ExportFileError(f"导出目录 {export_dir} 中找不到集合 {collection} 的文件，应为以下之一：{names}")
    if len(present) > 1:
        names = "、".join(path.name for path in present)
        raise ExportFileError(f"导出目录 {export_dir} 中集合 {collection} 有多个文件（{names}），请只保留一个")
    return present[0]


def _open_binary(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _first_significant_byte(path: Path) -> bytes:
    with _open_binary(path) as handle:
        while True:
            chunk = handle.read(4096)
            if not chunk:
                return b""
            stripped = chunk.lstrip(b" \t\r\n\xef\xbb\xbf")
            if stripped:
                return stripped[:1]


def _batches_from_lines(path: Path, batch_size: int) -> Iterator[SourceBatch]:
    documents: list[str] = []
    problems: list[str | None] = []
    details: list[str | None] = []
    has_problem = False
    with _open_binary(path) as handle:
        for line_number, raw_line in enumerate(handle, start=1):
            line = raw_line.strip()
            if line_number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line:
                continue
            try:
                documents.append(line.decode("utf-8"))
                problems.append(None)
                details.append(None)
            except UnicodeDecodeError as error:
                documents.append(line.decode("utf-8", errors="replace"))
                problems.append("invalid_utf8")
                details.append(f"第 {line_number} 行，字节位置 {error.start}")
                has_problem = True
            if len(documents) >= batch_size:
                yield SourceBatch(documents, problems if has_problem else None, details if has_problem else None)
                documents, problems, details, has_problem = [], [], [], False
    if documents:
        yield SourceBatch(documents, problems if has_problem else None, details if has_problem else None)


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _batches_from_array(path: Path, batch_size: int) -> Iterator[SourceBatch]:
    with _open_binary(path) as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExportFileError(
            f"{path} 不是有效的 UTF-8（字节位置 {error.start}）；JSON 数组文件无法逐条隔离，请修复编码或改用 JSON lines 导出"
        ) from None

    decoder = json.JSONDecoder()
    documents: list[str] = []
    position = _skip_whitespace(text, 0) + 1  # past the opening bracket
    while True:
        position = _skip_whitespace(text, position)
        if position >= len(text) or text[position] == "]":
            break
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            # Pass the unreadable rest on as one document; validation quarantines it.
            documents.append(text[position:].rstrip())
            break
        documents.append(text[position:end])
        position = _skip_whitespace(text, end)
        if position < len(text) and text[position] == ",":
            position += 1
        if len(documents) >= batch_size:
            yield SourceBatch(documents)
            documents = []
    if documents:
        yield SourceBatch(documents)


def read_export_file(path: Path, batch_size: int = 50_000) -> Iterator[SourceBatch]:
    """Yield the documents of one export file in batches, in file order."""
    first = _first_significant_byte(path)
    if first == b"":
        return
    if first == b"[":
        yield from _batches_from_array(path, batch_size)
    else:
        yield from _batches_from_lines(path, batch_size)
