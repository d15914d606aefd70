"""The artifact store: model files, plots and reports under one root directory.

Each asset run writes into its own folder `<root>/<asset name>/<run id>/`, so a
new run never overwrites the files that an earlier materialization recorded.
Files are written to a temporary name in the same folder and then renamed,
which makes a file appear complete or not at all.
"""

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dagster import ConfigurableResource, Failure, MetadataValue
from pydantic import Field

_HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class StoredArtifact:
    """A file in the artifact store with the content hash taken when it was written."""

    path: Path
    sha256: str
    size_bytes: int

    def metadata(self, prefix: str) -> dict:
        """Return `<prefix>_path`, `<prefix>_sha256` and `<prefix>_size_bytes` metadata entries."""
        return {
            f"{prefix}_path": MetadataValue.path(str(self.path)),
            f"{prefix}_sha256": self.sha256,
            f"{prefix}_size_bytes": self.size_bytes,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ArtifactStore(ConfigurableResource):
    """模型文件、图表和评估报告的存放目录（按 asset 名称和 run id 分子目录）。"""

    root: str = Field(description="产物根目录，默认取环境变量 MOMENTS_ARTIFACTS_DIR，未设置时为 data/artifacts")

    def run_dir(self, asset_name: str, run_id: str) -> Path:
        """Return the folder for one asset's files from one run, creating it."""
        directory = Path(self.root) / asset_name / run_id
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def write(self, asset_name: str, run_id: str, filename: str, writer: Callable[[Path], None]) -> StoredArtifact:
        """Write one file atomically and return its path, sha256 and size.

        `writer` receives a temporary path in the target folder and must create
        the file there. The file is flushed to disk and renamed to `filename`
        only after `writer` returns, so a crash leaves no partial file under the
        final name. A failed write removes the temporary file and re-raises.
        """
        final_path = self.run_dir(asset_name, run_id) / filename
        temporary_path = final_path.with_name(f".{filename}.{uuid.uuid4().hex}.tmp")
        try:
            writer(temporary_path)
            with open(temporary_path, "rb") as file:
                os.fsync(file.fileno())
            os.replace(temporary_path, final_path)
        finally:
            temporary_path.unlink(missing_ok=True)
        return StoredArtifact(path=final_path, sha256=file_sha256(final_path), size_bytes=final_path.stat().st_size)

    def write_text(self, asset_name: str, run_id: str, filename: str, text: str) -> StoredArtifact:
        return self.write(asset_name, run_id, filename, lambda path: path.write_text(text, encoding="utf-8"))

    def verified_path(self, path: str | Path, expected_sha256: str) -> Path:
        """Return `path` after checking that the file exists and its sha256 matches.

        Raises dagster.Failure when the file is missing or was changed after it
        was recorded.
        """
        path = Path(path)
        if not path.is_file():
            raise Failure(f"产物文件不存在：{path}。请重新物化生成它的 asset。")
        actual = file_sha256(path)
        if actual != expected_sha256:
            raise Failure(
                f"产物文件 {path} 的 sha256 为 {actual}，与物化时记录的 {expected_sha256} 不一致，"
                "文件在写入后被修改过。请重新物化生成它的 asset。"
            )
        return path
