"""The Chinese evaluation report of scenario 4, as markdown."""

from dataclasses import dataclass

import numpy as np

FUSED = "融合模型（文本 + 图片）"
TEXT_ONLY = "只用文本"
IMAGE_ONLY = "只用图片"
METADATA_PREFIXES = {FUSED: "fused", TEXT_ONLY: "text_only", IMAGE_ONLY: "image_only"}

MODEL_NOTES = {
    FUSED: "本次评估的 MultiModalClassifier：图片特征（多张取平均，没有图片时用“缺图”向量）与 GRU 文本特征拼接后分类。",
    TEXT_ONLY: "消融实验：同一结构去掉图像分支，只看 jieba 分词后的文本，用相同的数据划分、超参数和种子重新训练。",
    IMAGE_ONLY: "消融实验：去掉文本分支，只看图片特征和“有没有可用图片”，同样重新训练。",
}

METRIC_NOTES = (
    ("准确率", "预测的类型与真实类型相同的动态占比。类型分布不均时，总猜最多的类型也能得到不低的准确率。"),
    ("macro-F1", "每个类型各算一个 F1（精确率与召回率的调和平均），再不加权地平均；少见的类型与常见的类型同等重要，越大越好。"),
    ("混淆矩阵", "第 i 行第 j 列是真实类型为 i、被预测为 j 的动态数；对角线越集中越好，非对角线上的大数字说明哪两种类型容易混淆。"),
)


@dataclass(frozen=True)
class ModelScores:
    accuracy: float
    macro_f1: float
    per_class_f1: dict[int, float]  # moment type -> F1 on the test split
    training_seconds: float | None  # None for the fused model, which moment_type_model trained


def verdict(scores: dict[str, ModelScores]) -> tuple[bool, str]:
    """Return whether the fused model's macro-F1 is at least each ablation's, and the sentence that states it."""
    fused = scores[FUSED].macro_f1
    ablations = {name: value.macro_f1 for name, value in scores.items() if name != FUSED}
    if not ablations:
        return True, "数据中没有可用图片，只训练了文本模型，没有可比较的消融实验。"
    best_name = max(ablations, key=ablations.get)
    if fused >= ablations[best_name]:
        return True, (
            f"融合模型的 macro-F1 为 {fused:.4f}，不低于{'、'.join(f'{name}的 {value:.4f}' for name, value in ablations.items())}："
            "文本和图片提供了互补的信息。"
        )
    return False, (
        f"**融合模型没有超过{best_name}**：融合模型 macro-F1 {fused:.4f}，{best_name} {ablations[best_name]:.4f}。"
        "说明融合方式或训练还有问题（例如某个分支过拟合、训练轮数不够），可以调整超参数后重新物化。"
    )


def build_report(
    *,
    scores: dict[str, ModelScores],
    classes: list[int],
    confusion: np.ndarray,
    test_rows: int,
    test_period: str,
    test_without_pictures: int,
    model_path: str,
    model_sha256: str,
    model_run_id: str,
    training_set_version: str,
    backbone_identity: str,
    weights_note: str,
    class_weights: list[float],
    confusion_path: str,
    note: str | None,
) -> str:
    """Return the whole evaluation report as markdown."""
    _, conclusion = verdict(scores)
    lines = [
        "# 场景 4：根据文本和图片预测动态类型 — 评估报告",
        "",
        "## 结论",
        "",
        conclusion,
        "",
    ]
    if note:
        lines += [f"> {note}", ""]
    lines += [
        "## 评估对象",
        "",
        f"- 模型文件：`{model_path}`（sha256 `{model_sha256}`，已校验；来自 run `{model_run_id}`）",
        f"- 训练集版本：`{training_set_version}`",
        f"- 测试集：{test_rows} 条动态（发布时间 {test_period}），其中 {test_without_pictures} 条没有可用图片。"
        "测试集是时间上最新的一段，训练时模型没有见过。",
        f"- 图像骨干网络：`{backbone_identity}`。{weights_note}",
        "- 类别不平衡：交叉熵按类型加权，权重 = N /（类型数 × 该类型在 train 中的条数）："
        + "，".join(f"type {moment_type} 为 {weight:.3f}" for moment_type, weight in zip(classes, class_weights))
        + "。",
        "",
        "## 指标怎么读",
        "",
        *[f"- **{name}**：{text}" for name, text in METRIC_NOTES],
        "",
        "## 融合模型与消融实验",
        "",
        *[f"- **{name}**：{MODEL_NOTES[name]}" for name in scores],
        "",
        "| 模型 | 准确率 | macro-F1 | " + " | ".join(f"type {moment_type} F1" for moment_type in classes) + " | 训练用时（秒） |",
        "|---|---|---|" + "---|" * len(classes) + "---|",
        *[
            f"| {name} | {value.accuracy:.4f} | {value.macro_f1:.4f} | "
            + " | ".join(f"{value.per_class_f1[moment_type]:.3f}" for moment_type in classes)
            + (f" | {value.training_seconds:.1f} |" if value.training_seconds is not None else " | 见 moment_type_model |")
            for name, value in scores.items()
        ],
        "",
        "## 融合模型的混淆矩阵",
        "",
        "行是真实类型，列是预测类型，颜色是该行（真实类型）中的占比。",
        "",
        f"![混淆矩阵]({confusion_path})",
        "",
        "| 真实 \\ 预测 | " + " | ".join(f"type {moment_type}" for moment_type in classes) + " |",
        "|---|" + "---|" * len(classes),
        *[
            f"| type {moment_type} | " + " | ".join(str(int(count)) for count in confusion[row]) + " |"
            for row, moment_type in enumerate(classes)
        ],
        "",
    ]
    return "\n".join(lines)
