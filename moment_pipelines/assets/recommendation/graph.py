"""Scenario 5 graph asset: users, moments and places from the warehouse as a torch-geometric HeteroData."""

import inspect

import pandas as pd
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.recommendation.lineage import RECOMMENDATION_GROUP
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.features.recommendation import GRAPH_QUERIES, graph_query
from moment_pipelines.ml.recommendation import geo
from moment_pipelines.ml.recommendation import graph as graph_module
from moment_pipelines.ml.recommendation.graph import CUTOFFS, HOME, GraphConfig, GraphTables, build_graph, cutoff_ms, graph_counts, save_graph
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

GRAPH_ASSET = "recommendation_graph"
GRAPH_FILE = "graph.pt"

# Province centres from the cpca package, built by the like_behavior group's asset of the same name.
PROVINCE_TABLE = "province_coordinates"


class RecommendationGraphConfig(Config):
    """Cell size, near distance and the lengths of the validation and test periods."""

    cell_size_degrees: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="网格格子的边长（度）：0.25° 南北约 28 公里。有经纬度的动态落进网格格子；只有 ipLocation 的动态落进“整个省”这个格子",
    )
    near_km: float = Field(default=100.0, gt=0, description="两个格子中心相距不超过这么多公里，就连一条 cell–near–cell 边")
    validation_days: float = Field(default=3.0, gt=0, description="验证期长度（天）：紧挨在测试期之前，模型训练时用它早停")
    test_days: float = Field(
        default=3.0, gt=0, description="测试期长度（天）：数据最后这段时间的点赞和评论全部留作测试，不进入训练图"
    )

    def graph_config(self) -> GraphConfig:
        return GraphConfig(
            cell_size_degrees=self.cell_size_degrees,
            near_km=self.near_km,
            validation_days=self.validation_days,
            test_days=self.test_days,
        )


def read_graph_tables(warehouse: Warehouse) -> GraphTables:
    """Run the graph queries and read the province table; the connection is closed when this returns."""
    with warehouse.get_connection() as con:
        frames = {name: con.execute(graph_query(name)).fetchdf() for name in GRAPH_QUERIES}
        provinces = con.execute(f"SELECT short_name AS province, lat, lng FROM {PROVINCE_TABLE}").fetchdf()
    return GraphTables(
        moments=frames["graph_moments"],
        interactions=frames["graph_interactions"],
        comment_places=frames["graph_comment_places"],
        provinces=provinces,
    )


def _utc(ms: int) -> str:
    return pd.Timestamp(ms, unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


def _counts_markdown(counts: dict[str, int]) -> str:
    rows = ["| 节点或边 | 数量 |", "|---|---|"] + [f"| {name} | {count} |" for name, count in counts.items()]
    return "\n".join(rows)


@asset(
    name=GRAPH_ASSET,
    deps=["stg_moments", "stg_likes", "stg_comments", PROVINCE_TABLE],
    group_name=RECOMMENDATION_GROUP,
    kinds={"duckdb", "pytorch"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(*(graph_query(name) for name in GRAPH_QUERIES), inspect.getsource(graph_module), inspect.getsource(geo)),
    automation_condition=REBUILD_ON_CHANGE,
)
def recommendation_graph(
    context: AssetExecutionContext, config: RecommendationGraphConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 5（地理位置推荐）的异构图：用户、动态、地点格子三类节点，以 torch-geometric HeteroData 保存。

    边：用户–点赞–动态、用户–评论–动态、用户–发布–动态、动态–位于–格子、用户–常驻–格子（由用户自己发的带定位动态推断，
    没有时用动态和评论的 ipLocation 省份）、格子–相邻–格子。互动边带时间，按时间切出验证期和测试期：
    训练图只含验证期开始之前的边，测试期的点赞和评论不会进入训练图。文件里同时存有 uid、moment_id 和格子名称的映射。
    """
    tables = read_graph_tables(warehouse)
    context.log.info(
        f"读取 {len(tables.moments)} 条动态、{len(tables.interactions)} 条互动（点赞和评论，已去掉对自己动态的互动）、"
        f"{len(tables.comment_places)} 条带省份的评论；DuckDB 连接已关闭"
    )
    if tables.moments.empty:
        raise Failure("数据仓库里没有动态（stg_moments 为空），无法构建推荐图。请先导入动态、点赞和评论。")
    if tables.interactions.empty:
        raise Failure(
            "数据里没有任何点赞或评论（例如只有动态、没有互动的数据包），推荐模型没有可学习的用户行为，"
            "因此不构建推荐图。请导入包含点赞或评论的数据后再物化。"
        )

    graph = build_graph(tables, config.graph_config())
    counts = graph_counts(graph)
    stored = artifacts.write(GRAPH_ASSET, context.run.run_id, GRAPH_FILE, lambda path: save_graph(graph, path))
    homes_known = counts["-".join(HOME)]
    cutoffs = {name: _utc(cutoff_ms(graph, name)) for name in CUTOFFS}
    context.log.info(
        f"推荐图：{counts['user']} 个用户、{counts['moment']} 条动态、{counts['cell']} 个格子；"
        f"{homes_known} 个用户有常驻格子；验证期从 {cutoffs['validation']} 开始，测试期从 {cutoffs['test']} 开始；"
        f"已保存到 {stored.path}"
    )
    return MaterializeResult(
        metadata={
            **stored.metadata("graph"),
            "graph_version": stored.sha256,
            **{f"nodes_{name}": count for name, count in counts.items() if "-" not in name},
            **{f"edges_{name.replace('-', '_')}": count for name, count in counts.items() if "-" in name},
            "counts": MetadataValue.md(_counts_markdown(counts)),
            "users_with_home_share": round(homes_known / max(counts["user"], 1), 4),
            "validation_cutoff_utc": cutoffs["validation"],
            "test_cutoff_utc": cutoffs["test"],
            "data_end_utc": cutoffs["serving"],
            "config": MetadataValue.json(config.model_dump()),
        }
    )
