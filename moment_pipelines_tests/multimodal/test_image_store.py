"""ImageStore against a local HTTP server on 127.0.0.1 and a local mirror: every success and failure path."""

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from moment_pipelines.resources.images import FAILED, OK, ImageStore

SLOW_SECONDS = 1.5  # the slow route waits this long, well beyond the store's timeout below
TIMEOUT_SECONDS = 0.3
MAX_BYTES = 50_000


def encoded(image_format: str, size: int = 40, colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format=image_format)
    return buffer.getvalue()


ROUTES = {
    "/good.webp": (200, "image/webp", encoded("WEBP")),
    "/good.jpg": (200, "image/jpeg", encoded("JPEG")),
    "/good.png": (200, "image/png; charset=binary", encoded("PNG", size=60)),
    "/cached.jpg": (200, "image/jpeg", encoded("JPEG", colour=(10, 200, 30))),
    "/same-as-webp.webp": (200, "image/webp", encoded("WEBP")),
    "/html.webp": (200, "text/html", b"<html>not a picture</html>"),
    "/huge.png": (200, "image/png", b"\x89PNG" + b"\0" * (MAX_BYTES + 10)),
    "/corrupt.jpg": (200, "image/jpeg", encoded("JPEG")[:200]),
    "/gif.webp": (200, "image/webp", encoded("GIF")),
    "/broken.webp": (503, "text/plain", b"try later"),
}


class Handler(BaseHTTPRequestHandler):
    requests_by_path: dict[str, int] = {}

    def do_GET(self):  # noqa: N802 (the name http.server dispatches to)
        Handler.requests_by_path[self.path] = Handler.requests_by_path.get(self.path, 0) + 1
        if self.path == "/slow.png":
            time.sleep(SLOW_SECONDS)
            status, content_type, body = 200, "image/png", encoded("PNG")
        else:
            status, content_type, body = ROUTES.get(self.path, (404, "text/plain", b"not found"))
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            # The oversized file declares no length, so the store must stop reading by itself.
            if self.path != "/huge.png":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (timeout or size limit)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def store(tmp_path) -> ImageStore:
    return ImageStore(
        mirror_dir=str(tmp_path / "mirror"),
        cache_dir=str(tmp_path / "cache"),
        http_enabled=True,
        timeout_seconds=TIMEOUT_SECONDS,
        max_retries=1,
        backoff_seconds=0.05,
        max_bytes=MAX_BYTES,
        image_size=32,
        http_workers=4,
    )


def resolve_one(store: ImageStore, url: str):
    (result,) = store.resolve([url])
    return result


@pytest.mark.parametrize("path, image_format", [("/good.webp", "WEBP"), ("/good.jpg", "JPEG"), ("/good.png", "PNG")])
def test_good_image_resolved_and_resized(store, server, path, image_format):
    result = resolve_one(store, server + path)

    assert result.status == OK
    assert result.source == "http"
    assert result.image_format == image_format
    with Image.open(result.resized_path) as resized:
        assert resized.size == (32, 32)


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/missing.png", "http_status"),
        ("/html.webp", "wrong_content_type"),
        ("/huge.png", "too_large"),
        ("/corrupt.jpg", "decode_error"),
        ("/gif.webp", "unsupported_format"),
        ("/broken.webp", "http_status"),
    ],
)
def test_bad_response_recorded(store, server, path, reason):
    result = resolve_one(store, server + path)

    assert result.status == FAILED
    assert result.reason == reason
    assert result.resized_path is None


def test_not_found_is_not_retried(store, server):
    Handler.requests_by_path.pop("/missing-once.png", None)
    result = resolve_one(store, server + "/missing-once.png")

    assert result.detail == "HTTP 404"
    assert Handler.requests_by_path["/missing-once.png"] == 1


def test_server_error_is_retried(store, server):
    Handler.requests_by_path.pop("/broken.webp", None)
    resolve_one(store, server + "/broken.webp")

    assert Handler.requests_by_path["/broken.webp"] == 2  # the first attempt and max_retries=1 retry


def test_slow_response_times_out(store, server):
    started = time.perf_counter()
    result = resolve_one(store, server + "/slow.png")
    elapsed = time.perf_counter() - started

    assert result.status == FAILED
    assert result.reason == "timeout"
    # Two attempts of at most the timeout each, plus the backoff: far less than two slow responses.
    assert elapsed < 2 * SLOW_SECONDS


def test_download_cache_avoids_second_request(store, server):
    url = server + "/cached.jpg"
    first = resolve_one(store, url)
    requests_after_first = Handler.requests_by_path["/cached.jpg"]
    second = resolve_one(store, url)

    assert first.status == OK
    assert first.source == "http"
    assert second.source == "download_cache"
    assert second.content_sha256 == first.content_sha256
    assert Handler.requests_by_path["/cached.jpg"] == requests_after_first


def test_same_content_shares_resized_file(store, server):
    first, second = store.resolve([server + "/good.webp", server + "/same-as-webp.webp"])

    assert first.content_sha256 == second.content_sha256
    assert first.resized_path == second.resized_path


def test_http_disabled_reports_not_in_mirror(tmp_path, server):
    offline = ImageStore(mirror_dir=str(tmp_path / "mirror"), cache_dir=str(tmp_path / "cache"))
    Handler.requests_by_path.pop("/good.png", None)
    result = resolve_one(offline, server + "/good.png")

    assert result.status == FAILED
    assert result.reason == "not_in_mirror"
    assert "/good.png" not in Handler.requests_by_path


def test_mirror_manifest_and_url_path(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "pool").mkdir(parents=True)
    (mirror / "pool" / "a.png").write_bytes(encoded("PNG"))
    (mirror / "cdn.example.com" / "feed").mkdir(parents=True)
    (mirror / "cdn.example.com" / "feed" / "b.jpg").write_bytes(encoded("JPEG"))
    (mirror / "manifest.tsv").write_text(
        "https://oss.example.com/feed/x.webp\tpool/a.png\nhttps://oss.example.com/feed/escape.webp\t../outside.png\n",
        encoding="utf-8",
    )
    (tmp_path / "outside.png").write_bytes(encoded("PNG"))
    offline = ImageStore(mirror_dir=str(mirror), cache_dir=str(tmp_path / "cache"), image_size=24)

    by_manifest, by_path, escaping, invalid = offline.resolve(
        [
            "https://oss.example.com/feed/x.webp",
            "https://cdn.example.com/feed/b.jpg",
            "https://oss.example.com/feed/escape.webp",
            "not a url",
        ]
    )

    assert (by_manifest.status, by_manifest.source, by_manifest.image_format) == (OK, "mirror", "PNG")
    assert (by_path.status, by_path.source, by_path.image_format) == (OK, "mirror", "JPEG")
    assert escaping.reason == "not_in_mirror"
    assert invalid.reason == "invalid_url"


def test_oversized_mirror_file_rejected(tmp_path):
    mirror = tmp_path / "mirror" / "oss.example.com"
    mirror.mkdir(parents=True)
    (mirror / "big.png").write_bytes(encoded("PNG", size=400, colour=(1, 2, 3)) + b"\0" * 5_000)
    offline = ImageStore(mirror_dir=str(tmp_path / "mirror"), cache_dir=str(tmp_path / "cache"), max_bytes=1_000)

    result = resolve_one(offline, "https://oss.example.com/big.png")

    assert result.status == FAILED
    assert result.reason == "too_large"
