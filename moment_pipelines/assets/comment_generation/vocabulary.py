"""Scenario 3 vocabulary: the tokens of the training pairs, counted with collections.Counter."""

import inspect
import json
from itertools import chain

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.comment_generation.data import read_pairs
from moment_pipelines.assets.comment_generation.lineage import RecordedArtifact, latest_materialization, recorded_artifact
from moment_pipelines.assets.comment_generation.pairs import COMMENT_GENERATION_GROUP, PAIRS_TABLE
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation import vocabulary as vocabulary_module
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.resources import WAREHOUSE_POOL, ArtifactStore, Warehouse
from moment_pipelines.versioning import definition_version

VOCABULARY_ASSET = "comment_vocabulary"
VOCABULARY_FILE = "vocabulary.json"


class CommentVocabularyConfig(Config):
    """Frequency and size limits of the vocabulary."""

    min_frequency: int = Field(
        default=2,
        ge=1,
        description="一个词在 train 中至少出现多少次才进入词表；更少见的词在训练和生成时都记作 <unk>",
    )
    max_size: int = Field(
        default=30_000,
        ge=10,
        description="词表最多包含多少个词（含 <pad> <bos> <eos> <unk> 4 个特殊符号），按词频从高到低保留",
    )


def _top_tokens_markdown(vocabulary: Vocabulary, count: int = 20) -> str:
    rows = ["| 排名 | 词 | train 中出现次数 |", "|---|---|---|"]
    for rank, token in enumerate(vocabulary.tokens[4 : 4 + count], start=1):
        rows.append(f"| {rank} | {token} | {vocabulary.counts[token]} |")
    return "\n".join(rows)


def _unknown_share(vocabulary: Vocabulary, token_lists) -> float:
    """Share of tokens that map to <unk>; 0 when there are no tokens."""
    total = unknown = 0
    for tokens in token_lists:
        total += len(tokens)
        unknown += sum(1 for token in tokens if token not in vocabulary)
    return unknown / total if total else 0.0


@asset(
    name=VOCABULARY_ASSET,
    deps=[PAIRS_TABLE],
    group_name=COMMENT_GENERATION_GROUP,
    kinds={"python"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(inspect.getsource(vocabulary_module)),
    automation_condition=REBUILD_ON_CHANGE,
)
def comment_vocabulary(
    context: AssetExecutionContext, config: CommentVocabularyConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 3 的词表：把 train 中的动态和评论的词用 collections.Counter 计数，出现次数不少于 min_frequency 的词按词频排序编号。

    前 4 个编号是特殊符号：<pad>（补齐批次）、<bos>（句子开始）、<eos>（句子结束）、<unk>（词表外的词）。
    只用 train 计数，validation 和 test 中没见过的词都记作 <unk>，和上线后遇到新词的情况一致。
    词表保存为 vocabulary.json，序列模型会把它一起存进 checkpoint。
    """
    frame, training_set_version = read_pairs(warehouse, ("train", "validation"))
    pairs_metadata, _ = latest_materialization(context.instance, PAIRS_TABLE)
    tokenization = str(pairs_metadata["tokenization"])
    train = frame[frame["split"] == "train"]
    validation = frame[frame["split"] == "validation"]

    vocabulary = Vocabulary.build(
        chain(train["moment_tokens"], train["comment_tokens"]),
        tokenization=tokenization,
        min_frequency=config.min_frequency,
        max_size=config.max_size,
    )
    stored = artifacts.write_text(
        VOCABULARY_ASSET, context.run.run_id, VOCABULARY_FILE, json.dumps(vocabulary.to_dict(), ensure_ascii=False)
    )
    train_tokens = int(train["moment_tokens"].map(len).sum() + train["comment_tokens"].map(len).sum())
    distinct_tokens = len(set(chain.from_iterable(chain(train["moment_tokens"], train["comment_tokens"]))))
    validation_unknown_share = _unknown_share(vocabulary, validation["comment_tokens"])
    context.log.info(
        f"词表：{len(vocabulary)} 个词（分词方式 {tokenization}，train 中共 {train_tokens} 个词、{distinct_tokens} 个不同的词），"
        f"validation 评论中 {validation_unknown_share:.1%} 的词不在词表里；已保存到 {stored.path}"
    )
    return MaterializeResult(
        metadata={
            **stored.metadata("vocabulary"),
            "vocabulary_size": len(vocabulary),
            "tokenization": tokenization,
            "min_frequency": config.min_frequency,
            "train_tokens": train_tokens,
            "distinct_train_tokens": distinct_tokens,
            "validation_comment_unknown_share": round(validation_unknown_share, 4),
            "top_tokens": MetadataValue.md(_top_tokens_markdown(vocabulary)),
            "training_set_version": training_set_version,
        }
    )


def load_recorded_vocabulary(instance, artifacts: ArtifactStore) -> tuple[Vocabulary, RecordedArtifact]:
    """Load the vocabulary file recorded on comment_vocabulary's latest materialization, sha256-verified."""
    recorded = recorded_artifact(instance, VOCABULARY_ASSET, "vocabulary", artifacts)
    return Vocabulary.from_dict(json.loads(recorded.path.read_text(encoding="utf-8"))), recorded
