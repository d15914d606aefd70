"""Scenario 1 model: trains LikePredictor on the training set and stores it in the artifact store."""

import base64
import inspect
import time
from dataclasses import asdict

import pandas as pd
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.like_count.inputs import FEATURE_NAMES, FEATURE_SPECS, LABEL_COLUMN, TRAINING_SET_TABLE
from moment_pipelines.assets.like_count.training_set import LIKE_COUNT_GROUP
from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml import checkpoint, data, like_predictor, preprocessing, train
from moment_pipelines.ml.checkpoint import export_torchscript, save_checkpoint
from moment_pipelines.ml.data import TabularSplit, split_from_frame
from moment_pipelines.ml.like_predictor import LikeCountModel, LikePredictor, LikePredictorConfig
from moment_pipelines.ml.plots import plot_loss_curve
from moment_pipelines.ml.preprocessing import FeatureEncoder, encode
from moment_pipelines.ml.train import EpochLoss, TrainConfig, set_seed, train_regressor
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

MODEL_ASSET = "like_count_model"
CHECKPOINT_FILE = "model.pt"
TORCHSCRIPT_FILE = "model_torchscript.pt"
LOSS_CURVE_FILE = "loss_curve.png"

# The model is its training code: editing any of these files changes the code version.
_MODEL_SOURCES = (like_predictor, preprocessing, data, train, checkpoint)


class LikeCountModelConfig(Config):
    """Hyper-parameters of LikePredictor training, editable in the launchpad."""

    epochs: int = Field(default=200, ge=1, description="最多训练多少轮（epoch）；验证损失连续 patience 轮没有改善就提前停止")
    batch_size: int = Field(default=256, ge=1, description="每次梯度更新使用的行数（batch size）")
    learning_rate: float = Field(default=1e-3, gt=0, description="Adam 优化器的学习率")
    weight_decay: float = Field(default=1e-5, ge=0, description="权重衰减（L2 正则）系数，越大模型越“保守”")
    patience: int = Field(default=10, ge=1, description="早停耐心：验证损失连续多少轮没有改善就停止训练")
    seed: int = Field(default=42, description="随机种子：数据和配置相同时，训练结果完全相同")

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            patience=self.patience,
            seed=self.seed,
        )


def read_training_set(warehouse: Warehouse) -> tuple[pd.DataFrame, str]:
    """Read the whole training set into memory and return it with its fingerprint.

    The DuckDB connection is closed when this returns, so training never holds the warehouse lock.
    """
    with warehouse.get_connection() as con:
        frame = con.execute(f"SELECT * FROM {TRAINING_SET_TABLE} ORDER BY create_time, moment_id").fetchdf()
        fingerprint = table_fingerprint(con, TRAINING_SET_TABLE, "moment_id")
    return frame, fingerprint


def splits_from_frame(frame: pd.DataFrame) -> dict[str, TabularSplit]:
    """Return the train, validation and test splits of the training set as raw-feature tensors."""
    return {
        split: split_from_frame(frame[frame["split"] == split], FEATURE_NAMES, LABEL_COLUMN)
        for split in ("train", "validation", "test")
    }


def _image_markdown(png_bytes: bytes) -> MetadataValue:
    encoded = base64.b64encode(png_bytes).decode("ascii")
    return MetadataValue.md(f"![训练和验证损失曲线](data:image/png;base64,{encoded})")


@asset(
    name=MODEL_ASSET,
    deps=[TRAINING_SET_TABLE],
    group_name=LIKE_COUNT_GROUP,
    kinds={"pytorch", "duckdb"},
    # NOTE: Dagster holds the pool slot for the whole step, so other warehouse steps
    # wait while the model trains, although the DuckDB connection closes before training.
    pool=WAREHOUSE_POOL,
    code_version=definition_version(*(inspect.getsource(module) for module in _MODEL_SOURCES)),
    automation_condition=REBUILD_ON_CHANGE,
)
def like_count_model(
    context: AssetExecutionContext, config: LikeCountModelConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 1 的模型：LikePredictor 全连接网络（输入 → 64 → 32 → 1，ReLU），预测 log1p(点赞数)。

    用 Adam 在 train 上训练，validation 损失连续 patience 轮不下降就早停，并保留验证损失最低那一轮的权重。
    特征的标准化和 one-hot 只在 train 上拟合，和权重一起保存。产物（按 run id 存放）：
    model.pt（checkpoint：权重、特征编码器、特征列表、配置、损失历史）、
    model_torchscript.pt（TorchScript，输入原始特征、输出预测点赞数，Java 可通过 DJL 加载）和 loss_curve.png。
    """
    frame, training_set_version = read_training_set(warehouse)
    splits = splits_from_frame(frame)
    context.log.info(
        f"读取训练集 {len(frame)} 行（train {len(splits['train'])}，validation {len(splits['validation'])}，"
        f"test {len(splits['test'])}），训练集版本 {training_set_version}；DuckDB 连接已关闭，开始训练"
    )
    if len(splits["train"]) == 0 or len(splits["validation"]) == 0:
        raise Failure(f"{TRAINING_SET_TABLE} 的 train 或 validation 为空，请先检查训练集 asset 的物化结果")

    set_seed(config.seed)
    encoder = FeatureEncoder.fit(FEATURE_SPECS, splits["train"].features)
    predictor_config = LikePredictorConfig(input_dim=encoder.output_dim)
    predictor = LikePredictor(predictor_config)

    def log_epoch(loss: EpochLoss) -> None:
        context.log.info(
            f"第 {loss.epoch}/{config.epochs} 轮：训练损失 {loss.train_loss:.4f}，验证损失 {loss.validation_loss:.4f}"
        )

    started = time.perf_counter()
    result = train_regressor(
        predictor,
        encode(encoder, splits["train"]),
        encode(encoder, splits["validation"]),
        config.train_config(),
        on_epoch=log_epoch,
    )
    training_seconds = time.perf_counter() - started
    model = LikeCountModel(encoder, predictor)
    context.log.info(
        f"训练结束：共 {result.epochs_run} 轮，用时 {training_seconds:.1f} 秒，"
        f"第 {result.best_epoch} 轮验证损失最低（{result.best_validation_loss:.4f}），已恢复该轮权重"
        + ("（早停）" if result.stopped_early else "")
    )

    extra = {
        "train_config": asdict(config.train_config()),
        "history": [asdict(entry) for entry in result.history],
        "best_epoch": result.best_epoch,
        "training_set_version": training_set_version,
        "label": "log1p(like_count)",
    }
    stored_checkpoint = artifacts.write(
        MODEL_ASSET, context.run.run_id, CHECKPOINT_FILE, lambda path: save_checkpoint(model, predictor_config, path, extra)
    )
    stored_torchscript = artifacts.write(
        MODEL_ASSET, context.run.run_id, TORCHSCRIPT_FILE, lambda path: export_torchscript(model, path)
    )
    stored_plot = artifacts.write(MODEL_ASSET, context.run.run_id, LOSS_CURVE_FILE, lambda path: plot_loss_curve(result, path))
    context.log.info(f"模型已保存到 {stored_checkpoint.path}（sha256 {stored_checkpoint.sha256}）")

    return MaterializeResult(
        metadata={
            **stored_checkpoint.metadata("model"),
            **stored_torchscript.metadata("torchscript"),
            **stored_plot.metadata("loss_curve"),
            "loss_curve": _image_markdown(stored_plot.path.read_bytes()),
            "parameter_count": sum(parameter.numel() for parameter in predictor.parameters()),
            "input_features": MetadataValue.json([asdict(spec) for spec in FEATURE_SPECS]),
            "encoded_width": encoder.output_dim,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "stopped_early": result.stopped_early,
            "best_validation_loss": result.best_validation_loss,
            "final_train_loss": result.history[-1].train_loss,
            "training_seconds": round(training_seconds, 2),
            "training_set_version": training_set_version,
            "rows_train": len(splits["train"]),
            "rows_validation": len(splits["validation"]),
            "config": MetadataValue.json(asdict(config.train_config())),
        }
    )
