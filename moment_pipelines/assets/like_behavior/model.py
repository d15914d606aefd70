"""Scenario 2 model: trains LikeClassifier on the training set and stores it in the artifact store."""

import base64
import inspect
import time
from dataclasses import asdict

import pandas as pd
from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.like_behavior.inputs import FEATURE_NAMES, FEATURE_SPECS, LABEL_COLUMN, SPLITS, TRAINING_SET_TABLE
from moment_pipelines.assets.like_behavior.provinces import LIKE_BEHAVIOR_GROUP
from moment_pipelines.assets.like_behavior.training_set import FINGERPRINT_ORDER
from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml import data, preprocessing
from moment_pipelines.ml.data import TabularSplit, split_from_frame
from moment_pipelines.ml.like_behavior import checkpoint, classifier, plots, train
from moment_pipelines.ml.like_behavior.checkpoint import export_torchscript, save_checkpoint
from moment_pipelines.ml.like_behavior.classifier import LikeClassifier, LikeClassifierConfig, LikeProbabilityModel, prior_shift
from moment_pipelines.ml.like_behavior.plots import plot_training_curve
from moment_pipelines.ml.like_behavior.train import ClassifierTrainConfig, EpochMetrics, train_classifier
from moment_pipelines.ml.preprocessing import FeatureEncoder, encode
from moment_pipelines.ml.train import set_seed
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

MODEL_ASSET = "like_behavior_model"
CHECKPOINT_FILE = "model.pt"
TORCHSCRIPT_FILE = "model_torchscript.pt"
TRAINING_CURVE_FILE = "training_curve.png"

# The model is its training code: editing any of these files changes the code version.
_MODEL_SOURCES = (classifier, train, checkpoint, plots, preprocessing, data)


class LikeBehaviorModelConfig(Config):
    """Hyper-parameters of LikeClassifier training, editable in the launchpad."""

    epochs: int = Field(default=30, ge=1, description="最多训练多少轮（epoch）；验证集 AUC 连续 patience 轮没有提高就提前停止")
    batch_size: int = Field(default=1024, ge=1, description="每次梯度更新使用的行数（batch size）")
    learning_rate: float = Field(default=1e-3, gt=0, description="Adam 优化器的学习率")
    weight_decay: float = Field(default=1e-5, ge=0, description="权重衰减（L2 正则）系数，越大模型越“保守”")
    dropout: float = Field(default=0.3, ge=0, lt=1, description="第一层隐藏层的 Dropout 比例：训练时随机丢弃这么多神经元，防止过拟合")
    patience: int = Field(default=4, ge=1, description="早停耐心：验证集 AUC 连续多少轮没有提高就停止训练")
    balance_classes: bool = Field(
        default=True,
        description="处理类别不平衡：损失中正样本的权重 pos_weight = 负样本数 / 正样本数；推理时再把这一偏移减掉，概率仍然校准",
    )
    seed: int = Field(default=42, description="随机种子：数据和配置相同时，训练结果完全相同")

    def train_config(self) -> ClassifierTrainConfig:
        return ClassifierTrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            patience=self.patience,
            balance_classes=self.balance_classes,
            seed=self.seed,
        )


def read_training_set(warehouse: Warehouse) -> tuple[pd.DataFrame, str]:
    """Read the whole training set into memory and return it with its fingerprint; the connection is closed after."""
    with warehouse.get_connection() as con:
        frame = con.execute(f"SELECT * FROM {TRAINING_SET_TABLE} ORDER BY {FINGERPRINT_ORDER}").fetchdf()
        fingerprint = table_fingerprint(con, TRAINING_SET_TABLE, FINGERPRINT_ORDER)
    return frame, fingerprint


def splits_from_frame(frame: pd.DataFrame) -> dict[str, TabularSplit]:
    """Return the train, validation and test splits of the training set as raw-feature tensors."""
    return {split: split_from_frame(frame[frame["split"] == split], FEATURE_NAMES, LABEL_COLUMN) for split in SPLITS}


def image_markdown(png_bytes: bytes, title: str) -> MetadataValue:
    encoded = base64.b64encode(png_bytes).decode("ascii")
    return MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


@asset(
    name=MODEL_ASSET,
    deps=[TRAINING_SET_TABLE],
    group_name=LIKE_BEHAVIOR_GROUP,
    kinds={"pytorch", "duckdb"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(*(inspect.getsource(module) for module in _MODEL_SOURCES)),
    automation_condition=REBUILD_ON_CHANGE,
)
def like_behavior_model(
    context: AssetExecutionContext, config: LikeBehaviorModelConfig, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 2 的模型：LikeClassifier 全连接网络（输入 → 128 → 64 → 1，ReLU，Dropout 0.3），预测用户点赞某条动态的概率。

    网络输出 logit，用 BCEWithLogitsLoss 训练（比“Sigmoid + BCELoss”数值更稳定），正样本权重 pos_weight 处理类别不平衡；
    验证集 AUC 连续 patience 轮不提高就早停，并恢复 AUC 最高那一轮的权重。标准化只在 train 上拟合，与权重一起保存。
    产物（按 run id 存放）：model.pt（checkpoint）、model_torchscript.pt（TorchScript，输入原始特征、输出点赞概率）和 training_curve.png。
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
    classifier_config = LikeClassifierConfig(input_dim=encoder.output_dim, dropout=config.dropout)
    network = LikeClassifier(classifier_config)

    def log_epoch(metrics: EpochMetrics) -> None:
        context.log.info(
            f"第 {metrics.epoch}/{config.epochs} 轮：训练损失 {metrics.train_loss:.4f}，验证损失 {metrics.validation_loss:.4f}，"
            f"验证 AUC {metrics.validation_auc:.4f}"
        )

    started = time.perf_counter()
    result = train_classifier(
        network,
        encode(encoder, splits["train"]),
        encode(encoder, splits["validation"]),
        config.train_config(),
        on_epoch=log_epoch,
    )
    training_seconds = time.perf_counter() - started
    model = LikeProbabilityModel(encoder, network, prior_shift(result.pos_weight))
    context.log.info(
        f"训练结束：共 {result.epochs_run} 轮，用时 {training_seconds:.1f} 秒，pos_weight {result.pos_weight:.3f}，"
        f"第 {result.best_epoch} 轮验证 AUC 最高（{result.best_validation_auc:.4f}），已恢复该轮权重"
        + ("（早停）" if result.stopped_early else "")
    )

    extra = {
        "train_config": asdict(config.train_config()),
        "history": [asdict(entry) for entry in result.history],
        "best_epoch": result.best_epoch,
        "pos_weight": result.pos_weight,
        "training_set_version": training_set_version,
        "label": "1 = liked",
    }
    stored_checkpoint = artifacts.write(
        MODEL_ASSET, context.run_id, CHECKPOINT_FILE, lambda path: save_checkpoint(model, classifier_config, path, extra)
    )
    stored_torchscript = artifacts.write(
        MODEL_ASSET, context.run_id, TORCHSCRIPT_FILE, lambda path: export_torchscript(model, path)
    )
    stored_plot = artifacts.write(
        MODEL_ASSET, context.run_id, TRAINING_CURVE_FILE, lambda path: plot_training_curve(result, path)
    )
    context.log.info(f"模型已保存到 {stored_checkpoint.path}（sha256 {stored_checkpoint.sha256}）")

    return MaterializeResult(
        metadata={
            **stored_checkpoint.metadata("model"),
            **stored_torchscript.metadata("torchscript"),
            **stored_plot.metadata("training_curve"),
            "training_curve": image_markdown(stored_plot.path.read_bytes(), "训练损失和验证 AUC"),
            "parameter_count": sum(parameter.numel() for parameter in network.parameters()),
            "input_features": MetadataValue.json([asdict(spec) for spec in FEATURE_SPECS]),
            "encoded_width": encoder.output_dim,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "stopped_early": result.stopped_early,
            "best_validation_auc": result.best_validation_auc,
            "pos_weight": result.pos_weight,
            "final_train_loss": result.history[-1].train_loss,
            "training_seconds": round(training_seconds, 2),
            "training_set_version": training_set_version,
            "rows_train": len(splits["train"]),
            "rows_validation": len(splits["validation"]),
            "config": MetadataValue.json(asdict(config.train_config())),
        }
    )
