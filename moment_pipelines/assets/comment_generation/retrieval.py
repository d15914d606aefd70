"""Scenario 3 bag-of-words stage: the TF-IDF retrieval baseline and the most-common-comment baseline."""

import inspect
import json
import time

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.comment_generation.data import most_recent, read_pairs
from moment_pipelines.assets.comment_generation.lineage import latest_materialization, recorded_artifact
from moment_pipelines.assets.comment_generation.pairs import COMMENT_GENERATION_GROUP, PAIRS_TABLE
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation import retrieval
from moment_pipelines.ml.comment_generation.retrieval import FrequencyBaseline, TfidfRetrieval
from moment_pipelines.privacy import mask_text
from moment_pipelines.resources import WAREHOUSE_POOL, ArtifactStore, Warehouse
from moment_pipelines.versioning import definition_version

RETRIEVAL_ASSET = "comment_retrieval_model"
RETRIEVAL_FILE = "tfidf_retrieval.joblib"
FREQUENCY_FILE = "frequent_comments.json"


class CommentRetrievalConfig(Config):
    """Settings of the bag-of-words baselines."""

    max_train_pairs: int = Field(default=0, ge=0, description="最多索引多少对训练数据（取最新的）；0 表示全部")
    frequent_comments: int = Field(default=20, ge=1, description="高频评论基线记录多少条最常见的评论（生成时用第一条）")


@asset(
    name=RETRIEVAL_ASSET,
    deps=[PAIRS_TABLE],
    group_name=COMMENT_GENERATION_GROUP,
    kinds={"scikitlearn"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(inspect.getsource(retrieval)),
    automation_condition=REBUILD_ON_CHANGE,
)
def comment_retrieval_model(
    context: AssetExecutionContext, config: CommentRetrievalConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 3 的词袋模型阶段：两个不需要训练神经网络的基线。

    - 检索基线：把每条训练动态表示成 TF-IDF 加权的词袋向量（词出现得越多、在其他动态里越少见，权重越高），
      遇到新动态时找余弦相似度最高的训练动态，回复它下面最常见的评论；
    - 高频评论基线：不看动态内容，永远回复训练集中最常见的那条评论。

    产物（按 run id 存放）：tfidf_retrieval.joblib（scikit-learn 向量器和索引）和 frequent_comments.json。
    """
    frame, training_set_version = read_pairs(warehouse, ("train",))
    train = most_recent(frame, config.max_train_pairs)
    context.log.info(f"读取 train {len(frame)} 对，索引其中最新的 {len(train)} 对；DuckDB 连接已关闭")
    if train.empty:
        raise Failure(f"{PAIRS_TABLE} 的 train 为空，请先检查 {PAIRS_TABLE} 的物化结果")
    tokenization = str(latest_materialization(context.instance, PAIRS_TABLE)[0]["tokenization"])

    started = time.perf_counter()
    index = TfidfRetrieval.fit(train["moment_tokens"].tolist(), train["comment_text"].tolist(), tokenization)
    frequency = FrequencyBaseline.fit(train["comment_text"].tolist(), keep=config.frequent_comments)
    fitting_seconds = time.perf_counter() - started

    stored_index = artifacts.write(RETRIEVAL_ASSET, context.run.run_id, RETRIEVAL_FILE, index.save)
    stored_frequency = artifacts.write_text(
        RETRIEVAL_ASSET,
        context.run.run_id,
        FREQUENCY_FILE,
        json.dumps({"top_comments": frequency.top_comments}, ensure_ascii=False, indent=2),
    )
    context.log.info(
        f"TF-IDF 索引：{index.moment_count} 条不同的动态，{len(index.vectorizer.vocabulary_)} 个词，"
        f"用时 {fitting_seconds:.1f} 秒；最常见的评论是“{frequency.top_comments[0][0]}”（{frequency.top_comments[0][1]} 次）"
    )
    top_rows = ["| 排名 | 评论 | 次数 |", "|---|---|---|"] + [
        f"| {rank} | {mask_text(comment).replace('|', ' ')} | {count} |"
        for rank, (comment, count) in enumerate(frequency.top_comments, start=1)
    ]
    return MaterializeResult(
        metadata={
            **stored_index.metadata("model"),
            **stored_frequency.metadata("frequency"),
            "indexed_moments": index.moment_count,
            "tfidf_terms": len(index.vectorizer.vocabulary_),
            "rows_train": len(train),
            "tokenization": tokenization,
            "training_seconds": round(fitting_seconds, 2),
            "training_set_version": training_set_version,
            "frequent_comments": MetadataValue.md("\n".join(top_rows)),
        }
    )


def load_recorded_baselines(instance, artifacts: ArtifactStore) -> tuple[TfidfRetrieval, FrequencyBaseline, dict]:
    """Load both baselines recorded on the asset's latest materialization, sha256-verified; also return its metadata."""
    recorded_index = recorded_artifact(instance, RETRIEVAL_ASSET, "model", artifacts)
    recorded_frequency = recorded_artifact(instance, RETRIEVAL_ASSET, "frequency", artifacts)
    top_comments = json.loads(recorded_frequency.path.read_text(encoding="utf-8"))["top_comments"]
    frequency = FrequencyBaseline([(comment, count) for comment, count in top_comments])
    return TfidfRetrieval.load(recorded_index.path), frequency, recorded_index.metadata
