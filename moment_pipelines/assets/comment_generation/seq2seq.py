"""Scenario 3 sequence model: trains the GRU/LSTM encoder-decoder and stores it with its vocabulary."""

import base64
import inspect
import time
from dataclasses import asdict
from typing import Literal

import torch
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.comment_generation.data import most_recent, read_pairs
from moment_pipelines.assets.comment_generation.pairs import COMMENT_GENERATION_GROUP, PAIRS_TABLE
from moment_pipelines.assets.comment_generation.vocabulary import VOCABULARY_ASSET, load_recorded_vocabulary
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation import checkpoint, data, decoding, seq2seq, train
from moment_pipelines.ml.comment_generation.checkpoint import Seq2SeqCommentGenerator, save_checkpoint
from moment_pipelines.ml.comment_generation.data import CommentPairDataset
from moment_pipelines.ml.comment_generation.decoding import DecodingConfig
from moment_pipelines.ml.comment_generation.plots import plot_loss_curve
from moment_pipelines.ml.comment_generation.seq2seq import CommentSeq2Seq, Seq2SeqConfig
from moment_pipelines.ml.comment_generation.train import EpochResult, Seq2SeqTrainConfig, set_seed, train_seq2seq
from moment_pipelines.privacy import mask_text
from moment_pipelines.resources import WAREHOUSE_POOL, ArtifactStore, Warehouse
from moment_pipelines.versioning import definition_version

SEQ2SEQ_ASSET = "comment_seq2seq_model"
CHECKPOINT_FILE = "model.pt"
LOSS_CURVE_FILE = "loss_curve.png"

# The model is its training code: editing any of these files changes the code version.
_MODEL_SOURCES = (seq2seq, data, train, decoding, checkpoint)


class CommentSeq2SeqConfig(Config):
    """Architecture and training settings of the sequence model, editable in the launchpad."""

    rnn: Literal["gru", "lstm"] = Field(default="gru", description="循环网络类型：gru 或 lstm")
    attention: Literal["dot", "general", "additive"] = Field(
        default="general",
        description="注意力打分方式：dot 和 general 来自 Luong (2015)，additive 即 Bahdanau (2014) 的加性注意力",
    )
    embedding_dim: int = Field(default=128, ge=8, description="词向量（embedding）维度，编码器和解码器共用")
    hidden_dim: int = Field(default=256, ge=8, description="解码器隐状态维度（双向编码器每个方向各一半），必须是偶数")
    num_layers: int = Field(default=1, ge=1, le=4, description="编码器和解码器的循环网络层数")
    dropout: float = Field(default=0.3, ge=0, lt=1, description="Dropout 比例：训练时随机丢弃这一比例的神经元，防止过拟合")
    tie_embeddings: bool = Field(default=True, description="输出层与词向量共享权重：参数更少，小数据上通常更好")
    copy_source: bool = Field(
        default=True,
        description="复制机制（pointer-generator）：允许解码器直接把动态里的词“抄”进评论，回复常会重复原文的词",
    )
    epochs: int = Field(default=8, ge=1, description="最多训练多少轮（epoch）")
    batch_size: int = Field(default=32, ge=1, description="每次梯度更新使用多少对（batch size）")
    learning_rate: float = Field(default=3e-3, gt=0, description="Adam 优化器的初始学习率")
    learning_rate_decay: float = Field(
        default=0.5, gt=0, lt=1, description="某一轮验证集困惑度没有下降时，学习率乘以这个系数"
    )
    teacher_forcing_ratio: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="teacher forcing 比例：这一比例的批次把真实的上一个词喂给解码器，其余批次喂模型自己预测的词（更慢，但更接近生成时的情况）",
    )
    max_grad_norm: float = Field(default=5.0, gt=0, description="梯度裁剪阈值：梯度整体 L2 范数超过它时按比例缩小，防止梯度爆炸")
    patience: int = Field(default=3, ge=1, description="早停耐心：验证集困惑度连续多少轮没有下降就停止")
    max_train_pairs: int = Field(
        default=10_000,
        ge=0,
        description="最多使用多少对训练数据（取时间最新的那些）；0 表示全部。"
        "默认值让 10 万条动态的演示数据在 2 核 CPU 上几分钟内训练完；数据多、机器快时可以调大",
    )
    max_validation_pairs: int = Field(default=2_000, ge=0, description="每轮计算验证集困惑度最多使用多少对（取最新的）；0 表示全部")
    max_source_tokens: int = Field(default=48, ge=1, description="动态文本最多保留多少个词（超出的截掉后面部分）")
    max_target_tokens: int = Field(default=30, ge=1, description="训练时评论最多保留多少个词")
    torch_threads: int = Field(default=0, ge=0, description="训练使用的 CPU 线程数；0 表示 PyTorch 默认（通常等于 CPU 核数）")
    seed: int = Field(default=42, description="随机种子：数据和配置相同时，训练结果相同")

    def network_config(self, vocabulary_size: int, pad_id: int) -> Seq2SeqConfig:
        return Seq2SeqConfig(
            vocabulary_size=vocabulary_size,
            pad_id=pad_id,
            embedding_dim=self.embedding_dim,
            hidden_dim=self.hidden_dim,
            num_layers=self.num_layers,
            rnn=self.rnn,
            attention=self.attention,
            dropout=self.dropout,
            tie_embeddings=self.tie_embeddings,
            copy_source=self.copy_source,
        )

    def train_config(self) -> Seq2SeqTrainConfig:
        return Seq2SeqTrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            teacher_forcing_ratio=self.teacher_forcing_ratio,
            max_grad_norm=self.max_grad_norm,
            patience=self.patience,
            learning_rate_decay=self.learning_rate_decay,
            seed=self.seed,
        )


def _image_markdown(png_bytes: bytes) -> MetadataValue:
    encoded = base64.b64encode(png_bytes).decode("ascii")
    return MetadataValue.md(f"![训练和验证损失曲线](data:image/png;base64,{encoded})")


def _samples_markdown(generator: Seq2SeqCommentGenerator, moments: list[str], references: list[str]) -> str:
    rows = ["| 动态 | 真实评论 | 模型生成（greedy） |", "|---|---|---|"]
    for moment, reference in zip(moments, references):
        rows.append(f"| {_cell(moment[:40])} | {_cell(reference)} | {_cell(generator.generate(moment))} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return mask_text(text).replace("|", "\\|").replace("\n", " ") or "（空）"


@asset(
    name=SEQ2SEQ_ASSET,
    deps=[PAIRS_TABLE, VOCABULARY_ASSET],
    group_name=COMMENT_GENERATION_GROUP,
    kinds={"pytorch"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(*(inspect.getsource(module) for module in _MODEL_SOURCES)),
    automation_condition=REBUILD_ON_CHANGE,
)
def comment_seq2seq_model(
    context: AssetExecutionContext, config: CommentSeq2SeqConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 3 的序列模型：带注意力的 GRU/LSTM 编码器–解码器（seq2seq），读动态、逐词写评论。

    编码器是双向 GRU（或 LSTM），把动态的每个词编码成向量；解码器每一步先更新状态，
    再用注意力（attention）回看动态里最相关的词，预测下一个词。训练用 teacher forcing（把真实的上一个词喂给解码器）、
    梯度裁剪和 packed sequence（补齐的位置不参与计算），按验证集困惑度早停并保留最好那一轮的权重。
    产物（按 run id 存放）：model.pt（权重、模型配置、词表、训练历史）和 loss_curve.png。
    """
    vocabulary, recorded_vocabulary = load_recorded_vocabulary(context.instance, artifacts)
    frame, training_set_version = read_pairs(warehouse, ("train", "validation"))
    train_pairs = most_recent(frame[frame["split"] == "train"], config.max_train_pairs)
    validation_pairs = most_recent(frame[frame["split"] == "validation"], config.max_validation_pairs)
    context.log.info(
        f"读取 train {int((frame['split'] == 'train').sum())} 对（使用最新的 {len(train_pairs)} 对）、"
        f"validation {len(validation_pairs)} 对，词表 {len(vocabulary)} 个词（{vocabulary.tokenization}）；DuckDB 连接已关闭，开始训练"
    )
    if train_pairs.empty or validation_pairs.empty:
        raise Failure(f"{PAIRS_TABLE} 的 train 或 validation 为空，请先检查 {PAIRS_TABLE} 的物化结果")

    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    set_seed(config.seed)
    train_set = CommentPairDataset(
        train_pairs["moment_tokens"].tolist(),
        train_pairs["comment_tokens"].tolist(),
        vocabulary,
        config.max_source_tokens,
        config.max_target_tokens,
    )
    validation_set = CommentPairDataset(
        validation_pairs["moment_tokens"].tolist(),
        validation_pairs["comment_tokens"].tolist(),
        vocabulary,
        config.max_source_tokens,
    )
    try:
        model_config = config.network_config(len(vocabulary), vocabulary.pad_id)
    except ValueError as error:
        raise Failure(f"模型配置无效：{error}") from error
    model = CommentSeq2Seq(model_config)
    parameter_count = sum(parameter.numel() for parameter in model.parameters())
    context.log.info(f"CommentSeq2Seq：{config.rnn} + {config.attention} 注意力，{parameter_count} 个参数")

    def log_epoch(epoch: EpochResult) -> None:
        context.log.info(
            f"第 {epoch.epoch}/{config.epochs} 轮：训练损失 {epoch.train_loss:.4f}，"
            f"验证损失 {epoch.validation_loss:.4f}，验证困惑度 {epoch.validation_perplexity:.2f}，"
            f"学习率 {epoch.learning_rate:.2g}，用时 {epoch.seconds:.1f} 秒"
        )

    started = time.perf_counter()
    result = train_seq2seq(model, train_set, validation_set, config.train_config(), on_epoch=log_epoch)
    training_seconds = time.perf_counter() - started
    context.log.info(
        f"训练结束：共 {result.epochs_run} 轮，用时 {training_seconds:.1f} 秒，第 {result.best_epoch} 轮验证困惑度最低"
        f"（{result.best_validation_perplexity:.2f}），已恢复该轮权重" + ("（早停）" if result.stopped_early else "")
    )

    extra = {
        "train_config": asdict(config.train_config()),
        "history": [asdict(entry) for entry in result.history],
        "best_epoch": result.best_epoch,
        "training_set_version": training_set_version,
        "vocabulary_sha256": recorded_vocabulary.sha256,
    }
    stored_checkpoint = artifacts.write(
        SEQ2SEQ_ASSET,
        context.run.run_id,
        CHECKPOINT_FILE,
        lambda path: save_checkpoint(model, vocabulary, config.max_source_tokens, path, extra),
    )
    stored_plot = artifacts.write(SEQ2SEQ_ASSET, context.run.run_id, LOSS_CURVE_FILE, lambda path: plot_loss_curve(result, path))
    context.log.info(f"模型已保存到 {stored_checkpoint.path}（sha256 {stored_checkpoint.sha256}）")

    generator = Seq2SeqCommentGenerator(model, vocabulary, config.max_source_tokens, DecodingConfig(strategy="greedy"))
    samples = validation_pairs.tail(5)
    return MaterializeResult(
        metadata={
            **stored_checkpoint.metadata("model"),
            **stored_plot.metadata("loss_curve"),
            "loss_curve": _image_markdown(stored_plot.path.read_bytes()),
            "parameter_count": parameter_count,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "stopped_early": result.stopped_early,
            "best_validation_perplexity": round(result.best_validation_perplexity, 3),
            "final_train_loss": round(result.history[-1].train_loss, 4),
            "training_seconds": round(training_seconds, 2),
            "training_set_version": training_set_version,
            "vocabulary_sha256": recorded_vocabulary.sha256,
            "tokenization": vocabulary.tokenization,
            "rows_train": len(train_pairs),
            "rows_validation": len(validation_pairs),
            "model_config": MetadataValue.json(asdict(model_config)),
            "train_config": MetadataValue.json(asdict(config.train_config())),
            "validation_samples": MetadataValue.md(
                _samples_markdown(generator, samples["moment_text"].tolist(), samples["comment_text"].tolist())
            ),
        }
    )
