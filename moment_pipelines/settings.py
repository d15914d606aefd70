"""Locations and switches read from environment variables.

Every variable is optional. Relative paths resolve against the current working
directory, which is the repository root when the project runs through
`make`, `dagster dev` or pytest.
"""

import os
from dataclasses import dataclass
from pathlib import Path

MONGO_URI_VAR = "MOMENTS_MONGO_URI"
MONGO_DB_VAR = "MOMENTS_MONGO_DB"
EXPORT_DIR_VAR = "MOMENTS_EXPORT_DIR"
WAREHOUSE_VAR = "MOMENTS_WAREHOUSE"
ARTIFACTS_DIR_VAR = "MOMENTS_ARTIFACTS_DIR"
IMAGE_MIRROR_DIR_VAR = "MOMENTS_IMAGE_MIRROR_DIR"
IMAGE_CACHE_DIR_VAR = "MOMENTS_IMAGE_CACHE_DIR"
IMAGE_HTTP_VAR = "MOMENTS_IMAGE_HTTP"

DEFAULT_EXPORT_DIR = "data/demo"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_ARTIFACTS_DIR = "data/artifacts"
DEFAULT_IMAGE_CACHE_DIR = "data/cache/images"

# Source times are UTC; every hour-of-day or weekday feature uses this zone.
LOCAL_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    """Resolved project locations; `mongo_uri` is None when reading export files."""

    mongo_uri: str | None
    mongo_database: str | None
    export_dir: Path
    export_dir_is_default: bool
    warehouse_path: Path
    artifacts_dir: Path
    image_mirror_dir: Path  # local copy of the picture URLs; the demo writes <export dir>/images
    image_cache_dir: Path
    image_http_enabled: bool  # download pictures missing from the mirror

    @property
    def uses_mongo(self) -> bool:
        return bool(self.mongo_uri)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the MOMENTS_* variables, filling in the documented defaults."""
    env = os.environ if environ is None else environ
    export_dir = env.get(EXPORT_DIR_VAR) or DEFAULT_EXPORT_DIR
    return Settings(
        mongo_uri=env.get(MONGO_URI_VAR) or None,
        mongo_database=env.get(MONGO_DB_VAR) or None,
        export_dir=Path(export_dir).expanduser().absolute(),
        export_dir_is_default=not env.get(EXPORT_DIR_VAR),
        warehouse_path=Path(env.get(WAREHOUSE_VAR) or DEFAULT_WAREHOUSE).expanduser().absolute(),
        artifacts_dir=Path(env.get(ARTIFACTS_DIR_VAR) or DEFAULT_ARTIFACTS_DIR).expanduser().absolute(),
        image_mirror_dir=Path(env.get(IMAGE_MIRROR_DIR_VAR) or Path(export_dir) / "images").expanduser().absolute(),
        image_cache_dir=Path(env.get(IMAGE_CACHE_DIR_VAR) or DEFAULT_IMAGE_CACHE_DIR).expanduser().absolute(),
        image_http_enabled=env.get(IMAGE_HTTP_VAR, "").strip().lower() in ("1", "true", "yes"),
    )
