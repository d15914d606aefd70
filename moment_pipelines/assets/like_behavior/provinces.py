"""Province centres: the coordinates that stand in for a user or moment known only by its ipLocation province."""

import csv
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from moment_pipelines.assets.tables import markdown_preview, table_schema
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.versioning import definition_version

PROVINCE_TABLE = "province_coordinates"
LIKE_BEHAVIOR_GROUP = "like_behavior"

# The cpca package (MIT licence) ships adcodes.csv: every Chinese administrative
# division with its adcode, name and the longitude and latitude of its seat.
# Only the file is read. NOTE: `import cpca` fails on setuptools without
# pkg_resources, which is why the package is never imported.
CPCA_PACKAGE = "cpca"
CPCA_ADCODES = "cpca/resources/adcodes.csv"

# Full province names end in one of these; ipLocation shows the name without it
# ("广西壮族自治区" -> "广西"). Longer suffixes first.
_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


@dataclass(frozen=True)
class ProvinceCentre:
    short_name: str  # as ipLocation writes it, e.g. "湖北"
    name: str  # full name, e.g. "湖北省"
    adcode: str
    lng: float  # longitude of the provincial capital's government seat, degrees
    lat: float  # latitude, degrees


def short_province_name(name: str) -> str:
    """Return the name without its administrative suffix, the form ipLocation uses."""
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def adcodes_path() -> Path:
    """Return the path of cpca's adcodes.csv, raising Failure when the package is missing."""
    try:
        path = Path(distribution(CPCA_PACKAGE).locate_file(CPCA_ADCODES))
    except PackageNotFoundError as error:
        raise Failure(f"没有安装 {CPCA_PACKAGE}：省份坐标表来自它自带的 adcodes.csv，请运行 pip install {CPCA_PACKAGE}") from error
    if not path.is_file():
        raise Failure(f"{CPCA_PACKAGE} 已安装，但找不到 {path}；请重新安装 {CPCA_PACKAGE}")
    return path


def read_province_centres(path: Path) -> list[ProvinceCentre]:
    """Read the province-level rows (adcode ending in ten zeros) of an adcodes.csv file."""
    with open(path, encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["adcode"].endswith("0000000000")]
    return [
        ProvinceCentre(
            short_name=short_province_name(row["name"]),
            name=row["name"],
            adcode=row["adcode"],
            lng=float(row["longitude"]),
            lat=float(row["latitude"]),
        )
        for row in rows
    ]


def _adcodes_version() -> str:
    try:
        return definition_version(adcodes_path().read_text(encoding="utf-8"), *_PROVINCE_SUFFIXES)
    except Failure:
        return definition_version("missing", *_PROVINCE_SUFFIXES)


@asset(
    name=PROVINCE_TABLE,
    group_name=LIKE_BEHAVIOR_GROUP,
    kinds={"duckdb", "python"},
    pool=WAREHOUSE_POOL,
    code_version=_adcodes_version(),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": PROVINCE_TABLE},
)
def province_coordinates(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """省级行政区中心坐标表：每个省一行（简称、全称、adcode、省会经纬度），来自 cpca 包自带的 adcodes.csv（MIT 许可）。

    用户或动态没有经纬度、只有 ipLocation 省份时，用省会坐标近似它的位置，供地理相似度特征计算距离。
    """
    path = adcodes_path()
    centres = read_province_centres(path)
    if not centres:
        raise Failure(f"{path} 中没有省级行政区（adcode 以 10 个 0 结尾的行），无法生成 {PROVINCE_TABLE}")
    frame = pd.DataFrame([centre.__dict__ for centre in centres])

    with warehouse.get_connection() as con:
        con.register("province_frame", frame)
        con.execute(
            f"CREATE OR REPLACE TABLE {PROVINCE_TABLE} AS "
            "SELECT short_name, name, adcode, lng, lat FROM province_frame ORDER BY adcode"
        )
        con.unregister("province_frame")
        metadata = {
            "dagster/row_count": len(frame),
            "dagster/column_schema": table_schema(con, PROVINCE_TABLE),
            "source_file": MetadataValue.path(str(path)),
            "preview": markdown_preview(con, f"SELECT * FROM {PROVINCE_TABLE} ORDER BY adcode LIMIT 5"),
        }
    context.log.info(f"{PROVINCE_TABLE}：写入 {len(frame)} 个省级行政区（来源 {path}）")
    return MaterializeResult(metadata=metadata)
