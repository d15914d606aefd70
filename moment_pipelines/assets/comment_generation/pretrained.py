"""Scenario 3 pretrained stage: fine-tunes a local Hugging Face model, or records why it was skipped."""

import inspect
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.comment_generation.data import most_recent, read_pairs
from moment_pipelines.assets.comment_generation.lineage import RecordedArtifact, recorded_artifact
from moment_pipelines.assets.comment_generation.pairs import COMMENT_GENERATION_GROUP, PAIRS_TABLE
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation import pretrained
from moment_pipelines.ml.comment_generation.pretrained import FineTuneConfig, FineTuneEpoch, PretrainedCommentModel, fine_tune
from moment_pipelines.resources import WAREHOUSE_POOL, ArtifactStore, Warehouse
from moment_pipelines.resources.artifacts import StoredArtifact
from moment_pipelines.versioning import definition_version

PRETRAINED_ASSET = "comment_pretrained_model"
MANIFEST_FILE = "manifest.json"

# Read when the asset's `pretrained_model_dir` config is empty, so the daily schedule can use a model too.
PRETRAINED_MODEL_DIR_VAR = "MOMENTS_PRETRAINED_MODEL_DIR"


class CommentPretrainedConfig(Config):
    """Location of the pretrained model and its fine-tuning settings."""

    pretrained_model_dir: str = Field(
        default="",
        description="本地 Hugging Face 模型目录（save_pretrained 的输出，例如下载好的中文 GPT-2）。"
        "为空时读取环境变量 MOMENTS_PRETRAINED_MODEL_DIR；两者都为空则跳过这个阶段",
    )
    epochs: int = Field(default=1, ge=1, description="微调多少轮（epoch）")
    batch_size: int = Field(default=8, ge=1, description="每次梯度更新使用多少对")
    learning_rate: float = Field(default=5e-5, gt=0, description="AdamW 学习率；微调预训练模型要比从头训练小得多")
    weight_decay: float = Field(default=0.01, ge=0, description="AdamW 权重衰减系数")
    max_train_pairs: int = Field(
        default=2_000,
        ge=0,
        description="最多使用多少对训练数据（取最新的）；0 表示全部。预训练模型在 CPU 上很慢，默认值让微调在几分钟内完成",
    )
    max_validation_pairs: int = Field(default=500, ge=1, description="验证集最多使用多少对（取最新的）")
    max_source_tokens: int = Field(default=48, ge=1, description="动态文本最多保留多少个 token（模型自己的分词）")
    max_target_tokens: int = Field(default=32, ge=1, description="评论最多保留多少个 token")
    max_grad_norm: float = Field(default=1.0, gt=0, description="梯度裁剪阈值")
    seed: int = Field(default=42, description="随机种子")

    def model_dir(self) -> str:
        return self.pretrained_model_dir.strip() or os.environ.get(PRETRAINED_MODEL_DIR_VAR, "").strip()

    def fine_tune_config(self) -> FineTuneConfig:
        return FineTuneConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            max_source_tokens=self.max_source_tokens,
            max_target_tokens=self.max_target_tokens,
            max_grad_norm=self.max_grad_norm,
            seed=self.seed,
        )


def _load_base_model(directory: str) -> PretrainedCommentModel:
    """Load the configured model, turning every way it can be unusable into a Chinese Failure."""
    path = Path(directory).expanduser()
    if not path.is_dir():
        raise Failure(f"pretrained_model_dir 指向的目录不存在：{path}。请填写 save_pretrained 保存的本地模型目录。")
    if not (path / "config.json").is_file():
        raise Failure(f"{path} 中没有 config.json，不是 Hugging Face 模型目录。请填写 save_pretrained 保存的目录。")
    try:
        return PretrainedCommentModel.load(path)
    except (OSError, ValueError, KeyError) as error:
        raise Failure(f"无法从 {path} 加载预训练模型或分词器：{error}") from error


def store_model(model: PretrainedCommentModel, artifacts: ArtifactStore, run_id: str, extra: dict) -> StoredArtifact:
    """Save the model with save_pretrained and copy each file atomically into the artifact store.

    Returns the stored manifest: a JSON file listing every model file with its
    sha256, plus `extra`. Verifying the manifest's own sha256 and then each
    listed file proves the whole directory is unchanged.
    """
    with tempfile.TemporaryDirectory(prefix="pretrained-") as temporary:
        model.save(Path(temporary))
        files = {}
        for source in sorted(Path(temporary).iterdir()):
            stored = artifacts.write(
                PRETRAINED_ASSET, run_id, source.name, lambda path, source=source: shutil.copyfile(source, path)
            )
            files[source.name] = {"sha256": stored.sha256, "size_bytes": stored.size_bytes}
    manifest = {"format": "comment_pretrained/1", "files": files, **extra}
    return artifacts.write_text(PRETRAINED_ASSET, run_id, MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2))


def load_recorded_pretrained(instance, artifacts: ArtifactStore) -> tuple[PretrainedCommentModel, dict, RecordedArtifact]:
    """Load the fine-tuned model recorded on the asset's latest materialization after checking every file's sha256."""
    recorded = recorded_artifact(instance, PRETRAINED_ASSET, "manifest", artifacts)
    manifest = json.loads(recorded.path.read_text(encoding="utf-8"))
    directory = recorded.path.parent
    for name, entry in manifest["files"].items():
        artifacts.verified_path(directory / name, entry["sha256"])
    return PretrainedCommentModel.load(directory), manifest, recorded


@asset(
    name=PRETRAINED_ASSET,
    deps=[PAIRS_TABLE],
    group_name=COMMENT_GENERATION_GROUP,
    kinds={"pytorch"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(inspect.getsource(pretrained)),
    automation_condition=REBUILD_ON_CHANGE,
)
def comment_pretrained_model(
    context: AssetExecutionContext, config: CommentPretrainedConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 3 的预训练阶段：在评论数据上微调一个本地的预训练语言模型（GPT 类因果语言模型，或 BART/T5 类编码器–解码器）。

    模型从 pretrained_model_dir（或环境变量 MOMENTS_PRETRAINED_MODEL_DIR）指向的 Hugging Face 目录读取，不会联网下载。
    因果语言模型把“动态 [SEP] 评论 [结束符]”拼成一句来学，只对评论部分计算损失。
    没有配置目录时，这个 asset 记录“已跳过”及原因，运行照常成功，评估报告会说明这一阶段未参与比较。
    """
    directory = config.model_dir()
    if not directory:
        reason = (
            f"未配置预训练模型目录：launchpad 中的 pretrained_model_dir 为空，环境变量 {PRETRAINED_MODEL_DIR_VAR} 也未设置。"
            "下载一个中文 GPT-2（例如用 save_pretrained 保存到本地）后填写该目录即可启用这一阶段。"
        )
        context.log.warning(f"跳过预训练模型微调：{reason}")
        return MaterializeResult(metadata={"skipped": True, "skip_reason": reason})

    base = _load_base_model(directory)
    frame, training_set_version = read_pairs(warehouse, ("train", "validation"))
    train_frame = most_recent(frame[frame["split"] == "train"], config.max_train_pairs)
    validation_frame = most_recent(frame[frame["split"] == "validation"], config.max_validation_pairs)
    train_pairs = list(zip(train_frame["moment_text"], train_frame["comment_text"]))
    validation_pairs = list(zip(validation_frame["moment_text"], validation_frame["comment_text"]))
    context.log.info(
        f"从 {directory} 加载 {type(base.model).__name__}（{base.parameter_count} 个参数，"
        f"{'编码器–解码器' if base.is_encoder_decoder else '因果语言模型'}）；"
        f"微调使用 train {len(train_pairs)} 对、validation {len(validation_pairs)} 对；DuckDB 连接已关闭"
    )
    if not train_pairs or not validation_pairs:
        raise Failure(f"{PAIRS_TABLE} 的 train 或 validation 为空，请先检查 {PAIRS_TABLE} 的物化结果")

    def log_epoch(epoch: FineTuneEpoch) -> None:
        context.log.info(
            f"第 {epoch.epoch}/{config.epochs} 轮：训练损失 {epoch.train_loss:.4f}，"
            f"验证困惑度 {epoch.validation_perplexity:.2f}，用时 {epoch.seconds:.1f} 秒"
        )

    started = time.perf_counter()
    try:
        result = fine_tune(base, train_pairs, validation_pairs, config.fine_tune_config(), on_epoch=log_epoch)
    except ValueError as error:
        raise Failure(f"微调配置无效：{error}") from error
    training_seconds = time.perf_counter() - started

    extra = {
        "base_model_dir": str(Path(directory).expanduser().absolute()),
        "fine_tune_config": asdict(config.fine_tune_config()),
        "history": [asdict(entry) for entry in result.history],
        "training_set_version": training_set_version,
    }
    manifest = store_model(base, artifacts, context.run.run_id, extra)
    context.log.info(
        f"微调结束：用时 {training_seconds:.1f} 秒，第 {result.best_epoch} 轮验证困惑度最低（{result.best_validation_perplexity:.2f}）；"
        f"模型已保存到 {manifest.path.parent}"
    )
    return MaterializeResult(
        metadata={
            "skipped": False,
            **manifest.metadata("manifest"),
            "model_dir": MetadataValue.path(str(manifest.path.parent)),
            "base_model_dir": extra["base_model_dir"],
            "model_class": type(base.model).__name__,
            "is_encoder_decoder": base.is_encoder_decoder,
            "parameter_count": base.parameter_count,
            "epochs_run": len(result.history),
            "best_epoch": result.best_epoch,
            "best_validation_perplexity": round(result.best_validation_perplexity, 3),
            "training_seconds": round(training_seconds, 2),
            "training_set_version": training_set_version,
            "rows_train": len(train_pairs),
            "rows_validation": len(validation_pairs),
            "fine_tune_config": MetadataValue.json(asdict(config.fine_tune_config())),
        }
    )
