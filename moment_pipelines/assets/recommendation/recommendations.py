"""Scenario 5 output: the top-K recent moments for every user, written to DuckDB."""

import inspect

import numpy as np
import pandas as pd
import torch
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.recommendation.evaluation import _load_model
from moment_pipelines.assets.recommendation.graph import GRAPH_ASSET
from moment_pipelines.assets.recommendation.lineage import RECOMMENDATION_GROUP, upstream_artifact
from moment_pipelines.assets.recommendation.models import GEO_MODEL_ASSET
from moment_pipelines.assets.tables import markdown_preview, scalar, table_schema
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.recommendation import ranking
from moment_pipelines.ml.recommendation.geo import haversine_km
from moment_pipelines.ml.recommendation.graph import cutoff_ms, home_coordinates, load_graph, snapshot
from moment_pipelines.ml.recommendation.model import prepare_inputs
from moment_pipelines.ml.recommendation.ranking import candidate_moments, excluded_mask
from moment_pipelines.ml.recommendation.train import model_ranking
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

RECOMMENDATIONS_TABLE = "moment_recommendations"
CHECK_NAME = "no_own_or_seen_moments"
_USER_CHUNK = 4096

# Rows that break the rule: the author is the user, or the user already liked or commented on the moment.
_OWN_OR_SEEN_SQL = f"""
SELECT count(*)
FROM {RECOMMENDATIONS_TABLE} AS recommendations
WHERE EXISTS (SELECT 1 FROM stg_moments AS m WHERE m.moment_id = recommendations.moment_id AND m.uid = recommendations.uid)
   OR EXISTS (SELECT 1 FROM stg_likes AS l WHERE l.moment_id = recommendations.moment_id AND l.uid = recommendations.uid)
   OR EXISTS (SELECT 1 FROM stg_comments AS c WHERE c.moment_id = recommendations.moment_id AND c.uid = recommendations.uid)
"""


class MomentRecommendationsConfig(Config):
    """List length per user and the maximum age of a recommended moment."""

    k: int = Field(default=20, ge=1, le=500, description="每个用户推荐多少条动态（top-K）")
    candidate_days: float = Field(default=3.0, gt=0, description="只推荐数据最后这么多天内发布的动态（天）")


def recommend(graph, recommender, k: int, candidate_days: float) -> pd.DataFrame:
    """Return the top-k moments for every user at the end of the data as a frame (uid, rank, moment_id, score, distance_km)."""
    serving_ms = cutoff_ms(graph, "serving")
    serving_graph = snapshot(graph, "serving")
    inputs = prepare_inputs(serving_graph, serving_ms, recommender.config.history_days)
    candidates = candidate_moments(graph, serving_ms, candidate_days)
    home_lat, home_lng = home_coordinates(serving_graph)
    frames = []
    all_users = torch.arange(graph["user"].num_nodes)
    for start in range(0, len(all_users), _USER_CHUNK):
        users = all_users[start : start + _USER_CHUNK]
        excluded = excluded_mask(graph, users, candidates, serving_ms)
        positions, valid, scores = model_ranking(recommender, inputs, users, candidates, excluded, k)
        rows, ranks = torch.nonzero(valid, as_tuple=True)
        moments = candidates[positions[rows, ranks]]
        distance = haversine_km(home_lat[users[rows]], home_lng[users[rows]], graph["moment"].lat[moments].float(), graph["moment"].lng[moments].float())
        frames.append(
            pd.DataFrame(
                {
                    "uid": graph["user"].uid[users[rows]].numpy(),
                    "rank": (ranks + 1).numpy(),
                    "moment_id": graph["moment"].moment_id[moments].numpy(),
                    "score": scores[rows, ranks].numpy().astype(np.float64),
                    "distance_km": distance.numpy().astype(np.float64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["uid", "rank", "moment_id", "score", "distance_km"])


@asset(
    name=RECOMMENDATIONS_TABLE,
    deps=[GRAPH_ASSET, GEO_MODEL_ASSET, "stg_moments", "stg_likes", "stg_comments"],
    group_name=RECOMMENDATION_GROUP,
    kinds={"pytorch", "duckdb"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(inspect.getsource(ranking), _OWN_OR_SEEN_SQL),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": RECOMMENDATIONS_TABLE},
    check_specs=[
        AssetCheckSpec(CHECK_NAME, asset=RECOMMENDATIONS_TABLE, description="推荐里没有用户自己发的动态，也没有他已经赞过或评论过的动态"),
    ],
)
def moment_recommendations(
    context: AssetExecutionContext, config: MomentRecommendationsConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """给每个用户的推荐列表：用地理感知 LightGCN 从数据最后几天发布的动态里选出得分最高的 K 条。

    不推荐用户自己发的动态，也不推荐他已经赞过或评论过的动态。每行一条推荐：uid、名次、moment_id、得分、
    动态离用户常驻地的距离（公里，未知为 NULL）和生成时刻（数据中最后一条记录的时间）。
    """
    stored_graph = upstream_artifact(context, GRAPH_ASSET, "graph", artifacts)
    stored_model = upstream_artifact(context, GEO_MODEL_ASSET, "model", artifacts)
    graph = load_graph(stored_graph.path)
    recommender = _load_model(stored_model, stored_graph.sha256, GEO_MODEL_ASSET)
    frame = recommend(graph, recommender, config.k, config.candidate_days)
    generated_at = pd.Timestamp(cutoff_ms(graph, "serving"), unit="ms", tz="UTC")
    frame["model_sha256"] = stored_model.sha256
    frame["generated_at"] = generated_at
    context.log.info(f"为 {frame['uid'].nunique()} 个用户生成 {len(frame)} 条推荐（生成时刻 {generated_at}）；写入 DuckDB")

    with warehouse.get_connection() as con:
        con.register("recommendation_frame", frame)
        con.execute(
            f"CREATE OR REPLACE TABLE {RECOMMENDATIONS_TABLE} AS "
            "SELECT uid, rank::INTEGER AS rank, moment_id, score, CASE WHEN isnan(distance_km) THEN NULL ELSE distance_km END AS distance_km, "
            "model_sha256, generated_at FROM recommendation_frame ORDER BY uid, rank"
        )
        con.unregister("recommendation_frame")
        violations = scalar(con, _OWN_OR_SEEN_SQL)
        metadata = {
            "dagster/row_count": len(frame),
            "dagster/column_schema": table_schema(con, RECOMMENDATIONS_TABLE),
            "users": int(frame["uid"].nunique()),
            "distinct_moments": int(frame["moment_id"].nunique()),
            "mean_distance_km": round(float(frame["distance_km"].mean()), 1) if frame["distance_km"].notna().any() else 0.0,
            "model_version": stored_model.sha256,
            "graph_version": stored_graph.sha256,
            "generated_at_utc": str(generated_at),
            "preview": markdown_preview(
                con,
                f"SELECT uid, rank, moment_id, round(score, 3) AS score, round(distance_km, 1) AS distance_km "
                f"FROM {RECOMMENDATIONS_TABLE} ORDER BY uid, rank LIMIT 5",
            ),
        }
    check = AssetCheckResult(check_name=CHECK_NAME, passed=violations == 0, metadata={"violating_rows": violations})
    return MaterializeResult(metadata=metadata, check_results=[check])
