"""The image store: find each picture URL's file, check it, and cache a resized copy on disk.

A URL is resolved in this order:

1. the local mirror directory. `manifest.tsv` in it maps URLs to files inside
   the mirror, one `<url>\\t<relative path>` per line (the demo generator
   writes one). A URL missing from the manifest is looked up at
   `<mirror>/<host>/<path>`, the layout of a bucket copied with its URL paths;
2. the download cache, `<cache>/downloads/<sha256 of the URL>`, which contains
   what an earlier run fetched over HTTP;
3. HTTP, only when `http_enabled` is set: a timeout per attempt, retries with
   exponential backoff on timeouts, connection errors and 429/5xx responses,
   a maximum size, and an allowed content type.

The bytes must then decode with Pillow as WebP, JPEG or PNG. The decoded
picture is centre-cropped to a square, resized to `image_size` pixels and
saved as PNG under `<cache>/resized/<size>/<sha256 of the content>.png`, so
URLs that serve the same file share one resized copy. A picture that cannot
be used comes back with a reason code (see FAILURE_REASONS) instead of an
exception. An error reading a local file that exists (permissions, a disk
error) still raises, because it concerns the machine, not the picture.
"""

import hashlib
import io
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from dagster import ConfigurableResource, get_dagster_logger
from PIL import Image, ImageOps
from pydantic import Field

MANIFEST_NAME = "manifest.tsv"
ALLOWED_FORMATS = ("WEBP", "JPEG", "PNG")  # Pillow format names
ALLOWED_CONTENT_TYPES = ("image/webp", "image/jpeg", "image/png")
RETRY_STATUS_CODES = (429, 500, 502, 503, 504)
_DOWNLOAD_CHUNK_BYTES = 64 * 1024

OK = "ok"
FAILED = "failed"

# Failure reason codes and what each means, as the metadata and the report show them.
FAILURE_REASONS = {
    "invalid_url": "URL 无效（不是 http 或 https 地址）",
    "not_in_mirror": "本地镜像中没有该图片，且 HTTP 下载已关闭",
    "http_status": "HTTP 返回了错误状态码（例如 404）",
    "timeout": "HTTP 请求超时（已按配置重试）",
    "connection_error": "无法连接图片服务器（已按配置重试）",
    "wrong_content_type": "HTTP 返回的 Content-Type 不是 image/webp、image/jpeg 或 image/png",
    "too_large": "文件超过大小上限，或像素数超过 Pillow 的解压炸弹上限",
    "unsupported_format": "能解码，但不是 WebP、JPEG 或 PNG",
    "decode_error": "Pillow 无法解码（文件损坏或截断）",
}


@dataclass(frozen=True)
class ResolvedImage:
    """The outcome for one picture URL."""

    url: str
    status: str  # OK or FAILED
    reason: str | None = None  # a FAILURE_REASONS key when status is FAILED
    detail: str | None = None  # the specific error, for example the HTTP status code
    source: str | None = None  # "mirror", "download_cache" or "http": where the bytes came from
    content_sha256: str | None = None  # hash of the original bytes
    width: int | None = None  # size of the original picture in pixels
    height: int | None = None
    image_format: str | None = None  # Pillow format name
    resized_path: str | None = None  # the cached square PNG


@dataclass(frozen=True)
class _Fetched:
    data: bytes | None
    source: str | None
    reason: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class _Decoded:
    status: str
    reason: str | None = None
    detail: str | None = None
    width: int | None = None
    height: int | None = None
    image_format: str | None = None
    resized_path: str | None = None


class ImageStore(ConfigurableResource):
    """图片存储：先查本地镜像目录，再（可选）通过 HTTP 下载；校验、缩放后按内容哈希缓存到磁盘。"""

    mirror_dir: str | None = Field(
        default=None, description="本地镜像目录（含 manifest.tsv，或按 <host>/<path> 存放的图片）；默认是导出目录下的 images/"
    )
    cache_dir: str = Field(description="缓存目录：downloads/ 存 HTTP 下载的原文件，resized/ 存缩放后的 PNG")
    http_enabled: bool = Field(
        default=False, description="本地镜像没有时是否通过 HTTP 下载；默认关闭，离线也能运行（环境变量 MOMENTS_IMAGE_HTTP=1 打开）"
    )
    timeout_seconds: float = Field(default=5.0, gt=0, description="每次 HTTP 请求的超时（秒），包括读完整个文件")
    max_retries: int = Field(default=2, ge=0, description="超时、连接失败或 429/5xx 时最多重试几次")
    backoff_seconds: float = Field(default=0.5, ge=0, description="第 n 次重试前等待 backoff_seconds × 2^(n-1) 秒")
    max_bytes: int = Field(default=5_000_000, gt=0, description="单个图片文件的大小上限（字节）")
    image_size: int = Field(default=96, ge=16, description="缓存的正方形图片边长（像素），模型的图像输入也是这个尺寸")
    http_workers: int = Field(default=4, ge=1, description="并发下载的线程数")

    def resized_dir(self) -> Path:
        return Path(self.cache_dir) / "resized" / str(self.image_size)

    def resolve(self, urls: Iterable[str], on_progress: Callable[[int, int], None] | None = None) -> list[ResolvedImage]:
        """Resolve every URL and return one ResolvedImage per URL, in input order.

        Local files are read and decoded once per run even when many URLs map
        to them. `on_progress(done, total)` is called every 10,000 URLs.
        """
        urls = list(urls)
        manifest = self._read_manifest()
        mirror = Path(self.mirror_dir).resolve() if self.mirror_dir else None
        by_path: dict[Path, tuple[str, _Decoded]] = {}  # local file -> its content hash and decoded outcome
        by_content: dict[str, _Decoded] = {}  # content hash -> decoded outcome, so equal files decode once
        resolved: dict[int, ResolvedImage] = {}
        pending_http: list[int] = []

        for index, url in enumerate(urls):
            located = self._locate(url, manifest, mirror, by_path)
            if isinstance(located, ResolvedImage):
                resolved[index] = located
            elif located is not None:
                path, source = located
                if path not in by_path:
                    by_path[path] = self._decode(self._read_file(path, source), by_content)
                resolved[index] = _resolved(url, source, *by_path[path])
            elif self.http_enabled:
                pending_http.append(index)
            else:
                detail = "HTTP 下载已关闭（MOMENTS_IMAGE_HTTP=1 可打开）"
                resolved[index] = ResolvedImage(url=url, status=FAILED, reason="not_in_mirror", detail=detail)
            if on_progress is not None and (index + 1) % 10_000 == 0:
                on_progress(index + 1, len(urls))

        if pending_http:
            session_local = threading.local()
            with ThreadPoolExecutor(max_workers=self.http_workers) as pool:
                downloads = pool.map(lambda index: self._download(urls[index], session_local), pending_http)
                for index, fetched in zip(pending_http, downloads):
                    resolved[index] = _resolved(urls[index], "http", *self._decode(fetched, by_content))

        return [resolved[index] for index in range(len(urls))]

    def _read_manifest(self) -> dict[str, str]:
        if not self.mirror_dir:
            return {}
        path = Path(self.mirror_dir) / MANIFEST_NAME
        if not path.is_file():
            return {}
        manifest = {}
        with path.open(encoding="utf-8") as file:
            for line in file:
                url, _, relative = line.rstrip("\n").partition("\t")
                if relative:
                    manifest[url] = relative
        return manifest

    def _locate(
        self, url: str, manifest: dict[str, str], mirror: Path | None, known: dict[Path, tuple]
    ) -> tuple[Path, str] | ResolvedImage | None:
        """Return the local file and its source for `url`, a failure for an invalid URL, or None to download.

        `known` contains the files already read in this run, which need no second existence check.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ResolvedImage(url=url, status=FAILED, reason="invalid_url", detail=url[:200])

        if mirror is not None:
            relative = manifest.get(url) or f"{parts.hostname}/{parts.path.lstrip('/')}"
            path = Path(os.path.normpath(mirror / relative))
            # A manifest entry or URL path with ".." must not reach outside the mirror.
            if path in known or (path.is_relative_to(mirror) and path.is_file()):
                return path, "mirror"

        cached = self._download_path(url)
        if cached.is_file():
            return cached, "download_cache"
        return None

    def _read_file(self, path: Path, source: str) -> _Fetched:
        size = path.stat().st_size
        if size > self.max_bytes:
            return _Fetched(None, source, "too_large", f"{size} 字节，上限 {self.max_bytes}")
        return _Fetched(path.read_bytes(), source)

    def _download_path(self, url: str) -> Path:
        return Path(self.cache_dir) / "downloads" / hashlib.sha256(url.encode("utf-8")).hexdigest()

    def _download(self, url: str, session_local: threading.local) -> _Fetched:
        """Fetch `url` with retries; on success keep the bytes in the download cache."""
        if not hasattr(session_local, "session"):
            session_local.session = requests.Session()
        session = session_local.session

        attempts = self.max_retries + 1
        outcome = _Fetched(None, "http", "connection_error", "no attempt made")
        for attempt in range(1, attempts + 1):
            outcome, retryable = self._attempt(session, url)
            if outcome.data is not None or not retryable:
                break
            if attempt < attempts:
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                get_dagster_logger().debug(f"下载 {url} 失败（{outcome.reason}：{outcome.detail}），{delay:.1f} 秒后第 {attempt} 次重试")
                time.sleep(delay)

        if outcome.data is not None:
            _write_atomically(self._download_path(url), outcome.data)
        return outcome

    def _attempt(self, session: requests.Session, url: str) -> tuple[_Fetched, bool]:
        """Make one GET request; return the outcome and whether a retry may help."""
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with session.get(url, timeout=self.timeout_seconds, stream=True) as response:
                if response.status_code != 200:
                    detail = f"HTTP {response.status_code}"
                    return _Fetched(None, "http", "http_status", detail), response.status_code in RETRY_STATUS_CODES

                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if content_type not in ALLOWED_CONTENT_TYPES:
                    return _Fetched(None, "http", "wrong_content_type", content_type or "（没有 Content-Type）"), False

                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    return _Fetched(None, "http", "too_large", f"Content-Length {declared}，上限 {self.max_bytes}"), False

                chunks, received = [], 0
                for chunk in response.iter_content(_DOWNLOAD_CHUNK_BYTES):
                    received += len(chunk)
                    if received > self.max_bytes:
                        return _Fetched(None, "http", "too_large", f"超过 {self.max_bytes} 字节"), False
                    if time.monotonic() > deadline:
                        return _Fetched(None, "http", "timeout", f"{self.timeout_seconds} 秒内没有读完"), True
                    chunks.append(chunk)
                return _Fetched(b"".join(chunks), "http"), False
        except requests.Timeout as error:
            return _Fetched(None, "http", "timeout", type(error).__name__), True
        except requests.ConnectionError as error:
            return _Fetched(None, "http", "connection_error", type(error).__name__), True

    def _decode(self, fetched: _Fetched, by_content: dict[str, "_Decoded"]) -> tuple[str | None, "_Decoded"]:
        """Return the content hash and the decoded outcome of fetched bytes, or the fetch failure."""
        if fetched.data is None:
            return None, _Decoded(status=FAILED, reason=fetched.reason, detail=fetched.detail)
        content_sha256 = hashlib.sha256(fetched.data).hexdigest()
        if content_sha256 not in by_content:
            by_content[content_sha256] = self._decode_content(fetched.data, content_sha256)
        return content_sha256, by_content[content_sha256]

    def _decode_content(self, data: bytes, content_sha256: str) -> "_Decoded":
        """Decode, check the format, and write the resized PNG unless it is already cached."""
        try:
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                if image_format not in ALLOWED_FORMATS:
                    return _Decoded(status=FAILED, reason="unsupported_format", detail=str(image_format))
                image.load()
                width, height = image.size
                square = ImageOps.fit(image.convert("RGB"), (self.image_size, self.image_size))
        except Image.DecompressionBombError as error:
            return _Decoded(status=FAILED, reason="too_large", detail=str(error)[:200])
        except (OSError, SyntaxError, ValueError) as error:
            # Pillow raises OSError for truncated or unrecognised data and SyntaxError for some malformed headers.
            return _Decoded(status=FAILED, reason="decode_error", detail=str(error)[:200])

        resized_path = self.resized_dir() / content_sha256[:2] / f"{content_sha256}.png"
        if not resized_path.is_file():
            buffer = io.BytesIO()
            square.save(buffer, format="PNG")
            _write_atomically(resized_path, buffer.getvalue())
        return _Decoded(
            status=OK,
            width=width,
            height=height,
            image_format=image_format,
            resized_path=str(resized_path),
        )


def _resolved(url: str, source: str, content_sha256: str | None, decoded: "_Decoded") -> ResolvedImage:
    return ResolvedImage(
        url=url,
        status=decoded.status,
        reason=decoded.reason,
        detail=decoded.detail,
        source=source,
        content_sha256=content_sha256,
        width=decoded.width,
        height=decoded.height,
        image_format=decoded.image_format,
        resized_path=decoded.resized_path,
    )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
