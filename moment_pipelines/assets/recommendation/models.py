"""Scenario 5 model assets: plain LightGCN and the geo-aware LightGCN, trained on the recommendation graph."""

import inspect
import time
from dataclasses import asdict

from dagster import AssetExecutionContext, AssetsDefinition, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.recommendation.graph import GRAPH_ASSET
from moment_pipelines.assets.recommendation.lineage import RECOMMENDATION_GROUP, upstream_artifact
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.recommendation import checkpoint, geo, graph, metrics, model, ranking, train
from moment_pipelines.ml.recommendation.checkpoint import save_model
from moment_pipelines.ml.recommendation.graph import load_graph
from moment_pipelines.ml.recommendation.model import MomentLightGCN, RecommenderConfig
from moment_pipelines.ml.recommendation.train import EpochStats, TrainConfig, train_recommender
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

LIGHTGCN_ASSET = "recommendation_lightgcn_model"
GEO_MODEL_ASSET = "recommendation_geo_model"
CHECKPOINT_FILE = "model.pt"

_MODEL_SOURCES = (model, train, metrics, ranking, graph, geo, checkpoint)

DISTANCE_BAND_NAMES_UNKNOWN = "距离未知"


class RecommenderModelConfig(Config):
    """LightGCN and training settings, editable in the launchpad."""

    embedding_dim: int = Field(default=64, ge=1, description="用户向量的维度（动态向量由邻居用户的向量传播得到，维度相同）")
    num_layers: int = Field(default=2, ge=1, le=4, description="LightGCN 传播层数；2 层可以从“用户→赞过的动态→它的作者”传到作者的新动态")
    history_days: float = Field(default=60.0, gt=0, description="只传播最近这么多天的动态和互动（天）；越长越能看出“老粉丝”，但越慢")
    place_dim: int = Field(default=64, ge=1, description="地点格子向量的维度（只对地理模型有效）")
    epochs: int = Field(default=20, ge=1, description="最多训练多少轮（epoch）；验证集 Recall@K 连续 patience 轮不提高就提前停止")
    batch_size: int = Field(
        default=8192, ge=1, description="每步的正样本数；每一步都要在整张图上传播一次，所以在 2 核 CPU 上用较大的 batch 更划算"
    )
    min_steps_per_epoch: int = Field(default=10, ge=1, description="每轮至少走这么多步：数据少时自动缩小 batch，免得一轮只更新一两次")
    learning_rate: float = Field(default=0.05, gt=0, description="Adam 优化器（向量）的学习率")
    head_learning_rate: float = Field(default=0.5, gt=0, description="点赞数权重和距离偏置这几个共享参数的学习率；它们每一步都见到全部样本，可以走得更大")
    l2: float = Field(default=1e-4, ge=0, description="对本批用户向量的 L2 正则系数")
    supervision_fraction: float = Field(
        default=0.3, gt=0, lt=1, description="每轮随机抽出这一比例的训练互动当作正样本，其余的才放进图里传播（正样本不能出现在自己的输入图里）"
    )
    candidate_days: float = Field(default=3.0, gt=0, description="候选动态的最大“年龄”（天）：负样本和排序候选都是这么新的动态")
    k: int = Field(default=20, ge=1, description="早停看验证集的 Recall@K，这里是 K")
    patience: int = Field(default=3, ge=1, description="早停耐心：验证集 Recall@K 连续多少轮没有提高就停止")
    seed: int = Field(default=42, description="随机种子：数据和配置相同时，训练结果相同")

    def recommender_config(self, geo_aware: bool) -> RecommenderConfig:
        return RecommenderConfig(
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            history_days=self.history_days,
            geo=geo_aware,
            place_dim=self.place_dim,
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            min_steps_per_epoch=self.min_steps_per_epoch,
            learning_rate=self.learning_rate,
            head_learning_rate=self.head_learning_rate,
            l2=self.l2,
            supervision_fraction=self.supervision_fraction,
            candidate_days=self.candidate_days,
            k=self.k,
            patience=self.patience,
            seed=self.seed,
        )


def distance_band_labels(bands_km: tuple[float, ...]) -> list[str]:
    """Return a label per distance-bias entry: "0–25 km", ..., "> 800 km", "距离未知"."""
    edges = [0.0, *bands_km]
    labels = [f"{low:g}–{high:g} km" for low, high in zip(edges, edges[1:])]
    return [*labels, f"> {bands_km[-1]:g} km", DISTANCE_BAND_NAMES_UNKNOWN]


def _history_markdown(history: list[EpochStats], k: int) -> str:
    rows = [f"| 轮 | BPR 损失 | 验证 Recall@{k} | 用时（秒） | 正样本/秒 |", "|---|---|---|---|---|"]
    rows += [
        f"| {e.epoch} | {e.loss:.4f} | {e.validation_recall:.4f} | {e.seconds:.1f} | {e.samples_per_second:.0f} |" for e in history
    ]
    return "\n".join(rows)


def build_model_asset(name: str, geo_aware: bool, description: str) -> AssetsDefinition:
    """Create the asset that trains one MomentLightGCN variant on the latest recommendation graph."""

    @asset(
        name=name,
        deps=[GRAPH_ASSET],
        group_name=RECOMMENDATION_GROUP,
        description=description,
        kinds={"pytorch"},
        code_version=definition_version(str(geo_aware), *(inspect.getsource(module) for module in _MODEL_SOURCES)),
        automation_condition=REBUILD_ON_CHANGE,
    )
    def model_asset(context: AssetExecutionContext, config: RecommenderModelConfig, artifacts: ArtifactStore) -> MaterializeResult:
        stored_graph = upstream_artifact(context, GRAPH_ASSET, "graph", artifacts)
        graph = load_graph(stored_graph.path)
        recommender_config = config.recommender_config(geo_aware)
        train_config = config.train_config()
        recommender = MomentLightGCN(graph["user"].num_nodes, graph["cell"].num_nodes, recommender_config)
        context.log.info(
            f"加载推荐图 {stored_graph.path}（sha256 {stored_graph.sha256[:12]}）：{graph['user'].num_nodes} 个用户、"
            f"{graph['moment'].num_nodes} 条动态、{graph['cell'].num_nodes} 个格子；开始训练{'地理感知 ' if geo_aware else ''}LightGCN"
        )

        def log_epoch(stats: EpochStats) -> None:
            context.log.info(
                f"第 {stats.epoch}/{train_config.epochs} 轮：BPR 损失 {stats.loss:.4f}，验证 Recall@{train_config.k} "
                f"{stats.validation_recall:.4f}，训练用时 {stats.seconds:.1f} 秒（{stats.samples_per_second:.0f} 正样本/秒）"
            )

        started = time.perf_counter()
        try:
            result = train_recommender(recommender, graph, train_config, on_epoch=log_epoch)
        except ValueError as error:
            raise Failure(
                f"无法训练：{error}。数据的时间跨度可能太短，或验证期（validation_days）里没有用户点赞或评论候选动态；"
                "请导入更多数据，或调大推荐图的 validation_days、本模型的 history_days / candidate_days。"
            ) from error
        training_seconds = time.perf_counter() - started
        epoch_seconds = [stats.seconds for stats in result.history]
        samples_per_second = sum(stats.positives for stats in result.history) / max(sum(epoch_seconds), 1e-9)
        context.log.info(
            f"训练结束：共 {result.epochs_run} 轮，用时 {training_seconds:.1f} 秒；第 {result.best_epoch} 轮验证 "
            f"Recall@{train_config.k} 最高（{result.best_validation_recall:.4f}），已恢复该轮权重"
            + ("（早停）" if result.stopped_early else "")
        )

        extra = {
            "train_config": asdict(train_config),
            "history": [asdict(stats) for stats in result.history],
            "best_epoch": result.best_epoch,
            "graph_sha256": stored_graph.sha256,
        }
        stored = artifacts.write(name, context.run.run_id, CHECKPOINT_FILE, lambda path: save_model(recommender, path, extra))
        context.log.info(f"模型已保存到 {stored.path}（sha256 {stored.sha256}）")

        metadata = {
            **stored.metadata("model"),
            "graph_version": stored_graph.sha256,
            "geo_aware": geo_aware,
            "parameter_count": sum(parameter.numel() for parameter in recommender.parameters()),
            "training_interactions": result.training_interactions,
            "validation_users": result.validation_users,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "stopped_early": result.stopped_early,
            f"best_validation_recall_at_{train_config.k}": round(result.best_validation_recall, 4),
            "training_seconds": round(training_seconds, 2),
            "mean_epoch_seconds": round(sum(epoch_seconds) / len(epoch_seconds), 2),
            "samples_per_second": round(samples_per_second, 1),
            "history": MetadataValue.md(_history_markdown(result.history, train_config.k)),
            "config": MetadataValue.json({**asdict(recommender_config), **asdict(train_config)}),
        }
        if geo_aware:
            labels = distance_band_labels(recommender_config.distance_bands_km)
            biases = recommender.distance_bias.detach().tolist()
            metadata["distance_bias"] = MetadataValue.json({label: round(bias, 3) for label, bias in zip(labels, biases)})
        return MaterializeResult(metadata=metadata)

    return model_asset


recommendation_lightgcn_model = build_model_asset(
    LIGHTGCN_ASSET,
    geo_aware=False,
    description="场景 5 的基线模型：不看地理位置的 LightGCN。只在“用户–点赞/评论/发布–动态”图上传播，"
    "每个用户有两个向量：作为读者的用户向量和作为作者的作者向量。动态没有自己的向量，而是从作者向量出发，"
    "再加上作者和已经互动过的用户传播来的信息，所以刚发布的动态也能打分；得分里还有一项“目前的点赞评论数”。"
    "BPR 损失，负样本取同一时间段的其他动态，按验证期 Recall@K 早停。产物：model.pt（按 run id 存放）。",
)

recommendation_geo_model = build_model_asset(
    GEO_MODEL_ASSET,
    geo_aware=True,
    description="场景 5 的地理感知模型：在 LightGCN 的基础上加入地点。每个地点格子有向量，并与相邻格子取平均；"
    "用户读取常驻格子的向量，动态读取自己所在格子的向量，二者的点积加进得分；"
    "再按用户常驻地与动态的距离分段（0–25、25–100、100–300、300–800、800 公里以上、未知）各学一个偏置。"
    "元数据 distance_bias 显示模型学到的“距离远近”对得分的影响。产物：model.pt（按 run id 存放）。",
)
