"""Scenario 4 model: trains MultiModalClassifier (image branch + GRU text branch, fused) and stores it."""

import base64
import inspect
import time
from dataclasses import asdict

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.moment_type.embeddings import EMBEDDINGS_TABLE
from moment_pipelines.assets.moment_type.images import MOMENT_TYPE_GROUP, NO_PICTURES_MESSAGE
from moment_pipelines.assets.moment_type.inputs import build_splits, picture_table, read_training_set, recorded_metadata
from moment_pipelines.assets.moment_type.training_set import TRAINING_SET_TABLE
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.ml.moment_type import checkpoint, data, model, plots, train
from moment_pipelines.ml.moment_type.backbone import load_backbone
from moment_pipelines.ml.moment_type.checkpoint import save_checkpoint
from moment_pipelines.ml.moment_type.model import MultiModalClassifier, MultiModalConfig
from moment_pipelines.ml.moment_type.plots import plot_training_curve
from moment_pipelines.ml.moment_type.train import EpochMetrics, MomentTypeTrainConfig, train_classifier
from moment_pipelines.resources import WAREHOUSE_POOL, ImageStore, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

MODEL_ASSET = "moment_type_model"
CHECKPOINT_FILE = "model.pt"
TRAINING_CURVE_FILE = "training_curve.png"

# The model is its training code: editing any of these files changes the code version.
_MODEL_SOURCES = (model, train, data, checkpoint, plots)


class MomentTypeModelConfig(Config):
    """Hyper-parameters of MultiModalClassifier training, editable in the launchpad."""

    freeze_backbone: bool = Field(
        default=True,
        description="冻结图像骨干网络：直接读 moment_type_image_embeddings 中算好的特征，CPU 上训练很快；"
        "设为 false 时微调骨干网络，每个 batch 读取缓存的缩放图片（CPU 上很慢）",
    )
    max_pictures: int = Field(default=4, ge=1, le=9, description="每条动态最多使用前几张可用图片（特征取平均）")
    max_tokens: int = Field(default=32, ge=1, description="每条文本最多使用前多少个 jieba 词")
    min_token_frequency: int = Field(default=2, ge=1, description="词在 train 中至少出现几次才进词表，其余记为 <unk>")
    max_vocabulary: int = Field(default=30_000, ge=10, description="词表大小上限（含 4 个特殊符号）")
    embedding_dim: int = Field(default=64, ge=1, description="词向量维度")
    text_hidden_dim: int = Field(
        default=128, ge=1, description="GRU 隐藏状态维度，即文本特征的维度；常见示例用 256，默认 128 让 CPU 上的训练快约 3 倍"
    )
    fusion_hidden_dim: int = Field(default=128, ge=1, description="融合 MLP 隐藏层的神经元数")
    dropout: float = Field(default=0.2, ge=0, lt=1, description="融合层的 Dropout 比例")
    epochs: int = Field(default=6, ge=1, description="最多训练多少轮；验证集 macro-F1 连续 patience 轮没有提高就提前停止")
    batch_size: int = Field(default=256, ge=1, description="每次梯度更新使用的动态条数")
    learning_rate: float = Field(default=2e-3, gt=0, description="Adam 学习率（文本分支和融合层）")
    backbone_learning_rate: float = Field(default=1e-4, gt=0, description="微调骨干网络时它的学习率（只在 freeze_backbone=false 时使用）")
    patience: int = Field(default=2, ge=1, description="早停耐心：验证集 macro-F1 连续多少轮没有提高就停止")
    balance_classes: bool = Field(
        default=True, description="处理类别不平衡：交叉熵中每个类型的权重为 N /（类型数 × 该类型样本数），少见的类型权重更大"
    )
    num_threads: int = Field(
        default=1, ge=1, description="训练时 torch 使用的线程数；GRU 的每一步计算量很小，多线程的同步开销常常比收益大"
    )
    seed: int = Field(default=42, description="随机种子：数据和配置相同时，训练结果相同")

    def train_config(self) -> MomentTypeTrainConfig:
        return MomentTypeTrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            backbone_learning_rate=self.backbone_learning_rate,
            patience=self.patience,
            balance_classes=self.balance_classes,
            num_threads=self.num_threads,
            seed=self.seed,
        )


def image_markdown(png_bytes: bytes, title: str) -> MetadataValue:
    encoded = base64.b64encode(png_bytes).decode("ascii")
    return MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


@asset(
    name=MODEL_ASSET,
    deps=[TRAINING_SET_TABLE, EMBEDDINGS_TABLE],
    group_name=MOMENT_TYPE_GROUP,
    kinds={"pytorch"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(*(inspect.getsource(module) for module in _MODEL_SOURCES)),
    automation_condition=REBUILD_ON_CHANGE,
)
def moment_type_model(
    context: AssetExecutionContext,
    config: MomentTypeModelConfig,
    warehouse: Warehouse,
    artifacts: ArtifactStore,
    images: ImageStore,
) -> MaterializeResult:
    """场景 4 的模型：MultiModalClassifier，根据文本和图片预测动态类型（type）。

    图像分支是 torchvision resnet18（可换成 mobilenet_v2）去掉最后一层，一条动态的多张图片特征取平均，没有可用图片时
    用一个可学习的“缺图”向量；文本分支是 jieba 词向量 + GRU；两者拼接后经融合 MLP 输出各类型的 logit。
    交叉熵按类型加权处理类别不平衡，验证集 macro-F1 连续 patience 轮不提高就早停。数据中没有图片时只用文本分支，并在 metadata 中说明。
    产物（按 run id 存放）：model.pt（checkpoint，含词表和类型列表）和 training_curve.png。
    """
    embeddings = recorded_metadata(context, EMBEDDINGS_TABLE, "backbone", "backbone_identity", "weights_path", "feature_dim")
    frame, training_set_version = read_training_set(warehouse)
    table, table_rows = picture_table(warehouse, config.freeze_backbone, embeddings["backbone_identity"], images.image_size)

    train_frame = frame[frame["split"] == "train"]
    classes = sorted(int(value) for value in train_frame["type"].unique())
    if len(classes) < 2:
        raise Failure(f"{TRAINING_SET_TABLE} 的 train 中只有 {len(classes)} 种 type，无法训练分类模型")
    vocabulary = Vocabulary.build(
        (list(tokens) for tokens in train_frame["tokens"]),
        tokenization="word",
        min_frequency=config.min_token_frequency,
        max_size=config.max_vocabulary,
    )
    splits = build_splits(frame, vocabulary, classes, table_rows, config.max_tokens, config.max_pictures)
    train_split, validation_split = splits.by_name["train"], splits.by_name["validation"]
    if len(validation_split) == 0:
        raise Failure(f"{TRAINING_SET_TABLE} 的 validation 中没有 train 里出现过的 type，无法早停和评估")

    use_image = bool((train_split.picture_index >= 0).any())
    note = None
    if not use_image:
        note = f"训练集中没有一张可用图片，本次只训练文本分支（text-only）。{NO_PICTURES_MESSAGE}"
        context.log.warning(note)

    image_encoder = None
    if use_image and not config.freeze_backbone:
        image_encoder, info = load_backbone(embeddings["backbone"], embeddings["weights_path"] or None)
        context.log.info(f"微调骨干网络：{info.message}")
    model_config = MultiModalConfig(
        vocab_size=len(vocabulary),
        num_classes=len(classes),
        image_feature_dim=int(embeddings["feature_dim"]),
        embedding_dim=config.embedding_dim,
        text_hidden_dim=config.text_hidden_dim,
        fusion_hidden_dim=config.fusion_hidden_dim,
        dropout=config.dropout,
        use_image=use_image,
        pad_id=vocabulary.pad_id,
    )
    network = MultiModalClassifier(model_config, image_encoder)
    context.log.info(
        f"读取训练集 {len(frame)} 行（train {len(train_split)}，validation {len(validation_split)}，"
        f"test {len(splits.by_name['test'])}），{len(classes)} 个类型 {classes}，词表 {len(vocabulary)} 个词；"
        f"DuckDB 连接已关闭，开始训练（{'文本 + 图片' if use_image else '只有文本'}，"
        f"{'冻结骨干网络，读取预先算好的 embedding' if config.freeze_backbone else '微调骨干网络'}）"
    )

    def log_epoch(metrics: EpochMetrics) -> None:
        context.log.info(
            f"第 {metrics.epoch}/{config.epochs} 轮：训练损失 {metrics.train_loss:.4f}，验证损失 {metrics.validation_loss:.4f}，"
            f"验证准确率 {metrics.validation_accuracy:.4f}，验证 macro-F1 {metrics.validation_macro_f1:.4f}，"
            f"每秒 {metrics.samples_per_second:.0f} 条"
        )

    started = time.perf_counter()
    result = train_classifier(network, train_split, validation_split, table if use_image else None, config.train_config(), log_epoch)
    training_seconds = time.perf_counter() - started
    samples_per_second = len(train_split) * result.epochs_run / training_seconds
    context.log.info(
        f"训练结束：共 {result.epochs_run} 轮，用时 {training_seconds:.1f} 秒（每秒 {samples_per_second:.0f} 条），"
        f"第 {result.best_epoch} 轮验证 macro-F1 最高（{result.best_validation_macro_f1:.4f}），已恢复该轮权重"
        + ("（早停）" if result.stopped_early else "")
    )

    extra = {
        "train_config": asdict(config.train_config()),
        "max_tokens": config.max_tokens,
        "max_pictures": config.max_pictures,
        "freeze_backbone": config.freeze_backbone,
        "backbone_identity": embeddings["backbone_identity"],
        "history": [asdict(entry) for entry in result.history],
        "best_epoch": result.best_epoch,
        "class_weights": result.class_weights,
        "training_set_version": training_set_version,
        "image_size": images.image_size,
    }
    backbone_in_model = embeddings["backbone"] if image_encoder is not None else None
    stored_checkpoint = artifacts.write(
        MODEL_ASSET,
        context.run.run_id,
        CHECKPOINT_FILE,
        lambda path: save_checkpoint(network, vocabulary, classes, backbone_in_model, path, extra),
    )
    stored_plot = artifacts.write(MODEL_ASSET, context.run.run_id, TRAINING_CURVE_FILE, lambda path: plot_training_curve(result, path))
    context.log.info(f"模型已保存到 {stored_checkpoint.path}（sha256 {stored_checkpoint.sha256}）")

    trainable = sum(parameter.numel() for parameter in network.parameters() if parameter.requires_grad)
    metadata = {
        **stored_checkpoint.metadata("model"),
        **stored_plot.metadata("training_curve"),
        "training_curve": image_markdown(stored_plot.path.read_bytes(), "训练损失和验证 macro-F1"),
        "modalities": "text+image" if use_image else "text",
        "freeze_backbone": config.freeze_backbone,
        "backbone_identity": embeddings["backbone_identity"],
        "classes": MetadataValue.json(classes),
        "class_weights": MetadataValue.json(dict(zip(map(str, classes), result.class_weights))),
        "vocabulary_size": len(vocabulary),
        "trainable_parameters": trainable,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "best_validation_macro_f1": result.best_validation_macro_f1,
        "epoch_history": MetadataValue.json([asdict(entry) for entry in result.history]),
        "training_seconds": round(training_seconds, 2),
        "samples_per_second": round(samples_per_second, 1),
        "training_set_version": training_set_version,
        "rows_train": len(train_split),
        "rows_validation": len(validation_split),
        "rows_without_known_type": MetadataValue.json(splits.unknown_type_rows),
        "config": MetadataValue.json(config.model_dump()),
    }
    if note:
        metadata["note"] = MetadataValue.md(note)
    return MaterializeResult(metadata=metadata)
