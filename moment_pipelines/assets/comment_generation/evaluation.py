"""Scenario 3 evaluation: every stage scored on the test pairs, with n-gram baselines fitted in the same run."""

import inspect
from dataclasses import asdict

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from moment_pipelines.assets.comment_generation import report as report_module
from moment_pipelines.assets.comment_generation.data import most_recent, read_pairs
from moment_pipelines.assets.comment_generation.lineage import latest_materialization, recorded_artifact
from moment_pipelines.assets.comment_generation.pairs import COMMENT_GENERATION_GROUP, PAIRS_TABLE
from moment_pipelines.assets.comment_generation.pretrained import PRETRAINED_ASSET, load_recorded_pretrained
from moment_pipelines.assets.comment_generation.report import ReportInputs, StageSummary, render_report
from moment_pipelines.assets.comment_generation.retrieval import RETRIEVAL_ASSET, load_recorded_baselines
from moment_pipelines.assets.comment_generation.seq2seq import SEQ2SEQ_ASSET
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation import evaluate, metrics, ngram
from moment_pipelines.ml.comment_generation.checkpoint import Seq2SeqCommentGenerator, load_checkpoint
from moment_pipelines.ml.comment_generation.data import CommentPairDataset
from moment_pipelines.ml.comment_generation.decoding import DecodingConfig
from moment_pipelines.ml.comment_generation.evaluate import (
    GenerationScores,
    PerplexityScore,
    ngram_nll,
    perplexity_score,
    score_generations,
)
from moment_pipelines.ml.comment_generation.metrics import average_length, distinct_n
from moment_pipelines.ml.comment_generation.ngram import BigramLanguageModel, UnigramLanguageModel
from moment_pipelines.ml.comment_generation.pretrained import (
    FineTuneConfig,
    PretrainedCommentGenerator,
    PretrainedCommentModel,
    comment_nll,
)
from moment_pipelines.ml.comment_generation.train import evaluate_nll
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.resources import WAREHOUSE_POOL, ArtifactStore, Warehouse
from moment_pipelines.versioning import definition_version

EVALUATION_ASSET = "comment_generation_evaluation"
REPORT_FILE = "report.md"

# Comments longer than this many tokens of the pretrained tokenizer (or than the model's positions
# allow after the moment) are cut when scoring its perplexity.
_PRETRAINED_SCORED_TOKENS = 128


class CommentEvaluationConfig(Config):
    """Test-split limits and generation decoding settings of the evaluation."""

    max_perplexity_pairs: int = Field(
        default=2_000, ge=1, description="最多在多少对 test 数据上计算困惑度（取最新的），所有模型用同一批"
    )
    max_generation_moments: int = Field(
        default=200, ge=1, description="最多为多少条 test 动态生成评论来计算 BLEU、distinct 和平均长度"
    )
    sample_count: int = Field(default=20, ge=1, description="报告里并排展示多少条生成样例")
    max_length: int = Field(default=30, ge=1, description="生成评论最多多少个词（seq2seq 按词表的词，预训练模型按它自己的 token）")
    beam_size: int = Field(default=5, ge=1, description="beam search 的束宽")
    temperature: float = Field(default=0.8, gt=0, description="采样温度：小于 1 更保守，大于 1 更随机")
    top_k: int = Field(default=20, ge=0, description="采样时只在概率最高的 k 个词里抽；0 表示不限制")
    top_p: float = Field(default=0.9, gt=0, le=1, description="采样时只在累计概率达到 p 的最小词集合里抽（nucleus sampling）")
    repetition_penalty: float = Field(default=1.2, ge=1, description="重复惩罚：大于 1 时降低已生成过的词再次出现的概率")
    unigram_smoothing: float = Field(default=1.0, gt=0, description="unigram 基线的加 k 平滑常数（1 即拉普拉斯平滑）")
    bigram_discount: float = Field(default=0.75, gt=0, lt=1, description="bigram 基线 Kneser-Ney 平滑的折扣 d")
    seed: int = Field(default=42, description="采样的随机种子")

    def decoding(self, strategy: str) -> DecodingConfig:
        return DecodingConfig(
            strategy=strategy,
            max_length=self.max_length,
            beam_size=self.beam_size,
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
            repetition_penalty=self.repetition_penalty,
        )


def generation_moments(test: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Return one row per test moment (first `limit` by first comment time) with all its test comments as references."""
    grouped = (
        test.groupby("moment_id", sort=False)
        .agg(moment_text=("moment_text", "first"), references=("comment_text", list), first_comment=("publish_time", "min"))
        .sort_values(["first_comment", "moment_id"])
    )
    return grouped.head(limit).reset_index()


def _ngram_perplexities(
    vocabulary: Vocabulary, train: pd.DataFrame, scored: pd.DataFrame, config: CommentEvaluationConfig
) -> list[PerplexityScore]:
    train_ids = [vocabulary.encode(tokens) for tokens in train["comment_tokens"]]
    scored_ids = [vocabulary.encode(tokens) for tokens in scored["comment_tokens"]]
    comments = scored["comment_text"].tolist()
    special = dict(bos_id=vocabulary.bos_id, eos_id=vocabulary.eos_id, excluded_ids=[vocabulary.pad_id])
    unigram = UnigramLanguageModel(len(vocabulary), k=config.unigram_smoothing, **special).fit(train_ids)
    bigram = BigramLanguageModel(len(vocabulary), discount=config.bigram_discount, **special).fit(train_ids)
    return [
        perplexity_score("unigram", *ngram_nll(unigram, scored_ids), comments),
        perplexity_score("bigram", *ngram_nll(bigram, scored_ids), comments),
    ]


def _unknown_share(vocabulary: Vocabulary, token_lists) -> float:
    total = sum(len(tokens) for tokens in token_lists)
    unknown = sum(1 for tokens in token_lists for token in tokens if token not in vocabulary)
    return unknown / total if total else 0.0


def _stage(stage: str, model: str, metadata: dict) -> StageSummary:
    if metadata.get("skipped"):
        return StageSummary(stage, model, "已跳过", None, None)
    return StageSummary(stage, model, "已训练", metadata.get("rows_train"), metadata.get("training_seconds"))


@asset(
    name=EVALUATION_ASSET,
    deps=[PAIRS_TABLE, RETRIEVAL_ASSET, SEQ2SEQ_ASSET, PRETRAINED_ASSET],
    group_name=COMMENT_GENERATION_GROUP,
    kinds={"pytorch", "python"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(*(inspect.getsource(module) for module in (evaluate, metrics, ngram, report_module))),
    automation_condition=REBUILD_ON_CHANGE,
    check_specs=[
        AssetCheckSpec(
            "generations_sanitized",
            asset=EVALUATION_ASSET,
            description="所有模型生成的评论都不含链接、电话号码和 @用户名",
        )
    ],
)
def comment_generation_evaluation(
    context: AssetExecutionContext, config: CommentEvaluationConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 3 的评估：在 test 划分（最新的评论）上比较三个阶段的模型，并写一份中文报告（report_path）。

    困惑度：序列模型、预训练模型，以及在同一次运行中用 train 拟合的 unigram / bigram 语言模型基线；
    生成质量：按字计算的 BLEU-1/2、distinct-1/2 和平均长度，覆盖高频评论、TF-IDF 检索、seq2seq（greedy、beam search、采样）
    和预训练模型；另附 20 条生成样例并排对比。所有模型都加载血缘指向的那次物化的文件，并校验 sha256。
    """
    frame, training_set_version = read_pairs(warehouse, ("train", "test"))
    train = frame[frame["split"] == "train"]
    test = frame[frame["split"] == "test"]
    if train.empty or test.empty:
        raise Failure(f"{PAIRS_TABLE} 的 train 或 test 为空，请先检查 {PAIRS_TABLE} 的物化结果")
    scored = most_recent(test, config.max_perplexity_pairs)
    moments = generation_moments(test, config.max_generation_moments)
    context.log.info(
        f"读取 train {len(train)} 对、test {len(test)} 对；困惑度用 {len(scored)} 对，生成用 {len(moments)} 条动态；DuckDB 连接已关闭"
    )

    recorded_seq2seq = recorded_artifact(context.instance, SEQ2SEQ_ASSET, "model", artifacts)
    model, vocabulary, checkpoint = load_checkpoint(recorded_seq2seq.path)
    retrieval, frequency, retrieval_metadata = load_recorded_baselines(context.instance, artifacts)
    pretrained_metadata, _ = latest_materialization(context.instance, PRETRAINED_ASSET)
    pretrained: PretrainedCommentModel | None = None
    pretrained_source_tokens = 0
    if not pretrained_metadata.get("skipped"):
        pretrained, manifest, _ = load_recorded_pretrained(context.instance, artifacts)
        pretrained_source_tokens = manifest["fine_tune_config"]["max_source_tokens"]
    context.log.info(
        f"已加载并校验模型：seq2seq {recorded_seq2seq.path}，检索基线（{retrieval.moment_count} 条动态），"
        + ("预训练模型已跳过" if pretrained is None else f"预训练模型 {type(pretrained.model).__name__}")
    )

    perplexities = _ngram_perplexities(vocabulary, train, scored, config)
    scored_set = CommentPairDataset(
        scored["moment_tokens"].tolist(), scored["comment_tokens"].tolist(), vocabulary, checkpoint["max_source_tokens"]
    )
    perplexities.append(perplexity_score("seq2seq", *evaluate_nll(model, scored_set), scored["comment_text"].tolist()))
    if pretrained is not None:
        scored_tokens = _PRETRAINED_SCORED_TOKENS
        if pretrained.max_positions is not None:
            scored_tokens = min(scored_tokens, pretrained.max_positions - pretrained_source_tokens - 2)
        scoring = FineTuneConfig(max_source_tokens=pretrained_source_tokens, max_target_tokens=scored_tokens)
        pairs = list(zip(scored["moment_text"], scored["comment_text"]))
        perplexities.append(perplexity_score("pretrained", *comment_nll(pretrained, pairs, scoring), scored["comment_text"].tolist()))
    for score in perplexities:
        context.log.info(f"困惑度 {score.name}：每词 {score.perplexity:.2f}，每字 {score.perplexity_per_character:.2f}")

    generators = {
        "frequency": frequency.generate,
        "retrieval": retrieval.generate,
    }
    for strategy in ("greedy", "beam", "sample"):
        seq2seq = Seq2SeqCommentGenerator(model, vocabulary, checkpoint["max_source_tokens"], config.decoding(strategy), config.seed)
        generators[f"seq2seq_{strategy}"] = seq2seq.generate
    if pretrained is not None:
        for strategy in ("greedy", "sample"):
            generator = PretrainedCommentGenerator(pretrained, config.decoding(strategy), pretrained_source_tokens, config.seed)
            generators[f"pretrained_{strategy}"] = generator.generate

    moment_texts = moments["moment_text"].tolist()
    references = moments["references"].tolist()
    generations: list[GenerationScores] = []
    for name, generate in generators.items():
        scores = score_generations(name, generate, moment_texts, references)
        generations.append(scores)
        context.log.info(
            f"生成 {name}：BLEU-1 {scores.bleu1:.3f}，BLEU-2 {scores.bleu2:.3f}，distinct-1 {scores.distinct1:.3f}，"
            f"distinct-2 {scores.distinct2:.3f}，平均长度 {scores.average_length:.1f} 字"
        )

    first_references = [comments[0] for comments in references]
    seq2seq_metadata, _ = latest_materialization(context.instance, SEQ2SEQ_ASSET)
    train_moments = set(train["moment_text"])
    samples = [
        {"moment": moment, "reference": reference, **{score.name: score.generations[index] for score in generations}}
        for index, (moment, reference) in enumerate(zip(moment_texts, first_references))
    ][: config.sample_count]
    decoding = config.decoding("sample")
    inputs = ReportInputs(
        tokenization=vocabulary.tokenization,
        vocabulary_size=len(vocabulary),
        test_pairs=len(test),
        perplexity_pairs=len(scored),
        generation_moments=len(moments),
        test_unknown_share=_unknown_share(vocabulary, scored["comment_tokens"]),
        test_moment_seen_share=sum(1 for text in moment_texts if text in train_moments) / len(moment_texts),
        stages=[
            _stage("1 词袋模型", "高频评论 + TF-IDF 检索", retrieval_metadata),
            _stage("2 序列模型", f"seq2seq（{checkpoint['model_config']['rnn']} + {checkpoint['model_config']['attention']} 注意力）", seq2seq_metadata),
            _stage("3 预训练模型", str(pretrained_metadata.get("model_class", "未配置")), pretrained_metadata),
        ],
        perplexities=perplexities,
        generations=generations,
        reference_distinct1=distinct_n(first_references, 1),
        reference_distinct2=distinct_n(first_references, 2),
        reference_average_length=average_length(first_references),
        samples=samples,
        decoding_summary=(
            f"最多 {decoding.max_length} 个词；beam search 束宽 {decoding.beam_size}；采样温度 {decoding.temperature}、"
            f"top-k {decoding.top_k}、top-p {decoding.top_p}；重复惩罚 {decoding.repetition_penalty}（所有策略）"
        ),
        pretrained_skip_reason=pretrained_metadata.get("skip_reason") if pretrained is None else None,
    )
    report = render_report(inputs)
    stored_report = artifacts.write_text(EVALUATION_ASSET, context.run.run_id, REPORT_FILE, report)
    context.log.info(f"评估报告已写入 {stored_report.path}")

    by_name = {score.name: score for score in perplexities}
    leaked = sum(score.with_personal_data for score in generations)
    metadata = {
        "report_path": MetadataValue.path(str(stored_report.path)),
        "report_sha256": stored_report.sha256,
        "report": MetadataValue.md(report),
        "training_set_version": training_set_version,
        "seq2seq_model_sha256": recorded_seq2seq.sha256,
        "pretrained_skipped": pretrained is None,
        "seq2seq_beats_ngram_perplexity": by_name["seq2seq"].perplexity
        < min(by_name["unigram"].perplexity, by_name["bigram"].perplexity),
        "perplexity": MetadataValue.json({score.name: asdict(score) for score in perplexities}),
        "generation_metrics": MetadataValue.json(
            {score.name: {key: value for key, value in asdict(score).items() if key != "generations"} for score in generations}
        ),
    }
    for score in perplexities:
        metadata[f"perplexity_{score.name}"] = round(score.perplexity, 3)
    for score in generations:
        metadata[f"bleu2_{score.name}"] = round(score.bleu2, 4)
    check = AssetCheckResult(
        check_name="generations_sanitized", passed=leaked == 0, metadata={"generations_with_personal_data": leaked}
    )
    return MaterializeResult(metadata=metadata, check_results=[check])
