"""The Chinese markdown report of the scenario 2 evaluation, written for readers new to machine learning."""

import math
from dataclasses import dataclass

from moment_pipelines.ml.like_behavior.metrics import ThresholdScores


@dataclass(frozen=True)
class Scores:
    """Test-split metrics of one predictor."""

    roc_auc: float
    pr_auc: float
    log_loss: float
    calibration_error: float  # expected calibration error over 10 probability bins
    at_threshold: ThresholdScores  # precision and recall at the threshold chosen on validation


# Predictor names as the report and the metadata show them, in table order.
MLP = "MLP (LikeClassifier)"
POPULARITY = "热度基线"
LOGISTIC = "逻辑回归基线"
GRADIENT_BOOSTING = "HistGradientBoosting 基线"

METADATA_PREFIXES = {MLP: "mlp", POPULARITY: "popularity", LOGISTIC: "logistic_regression", GRADIENT_BOOSTING: "gradient_boosting"}
# Legend labels of the reliability diagram, in ASCII because matplotlib's default font has no CJK glyphs.
PLOT_LABELS = {MLP: "MLP", POPULARITY: "popularity", LOGISTIC: "logistic regression", GRADIENT_BOOSTING: "gradient boosting"}

PREDICTOR_NOTES = {
    MLP: "本次评估的神经网络模型。",
    POPULARITY: "只看动态在事件时刻已经有多少点赞：已有点赞越多，越可能再被点赞。用训练集拟合一个单变量逻辑回归把点赞数换成概率（不改变排序）。",
    LOGISTIC: "逻辑回归：与 MLP 用相同的特征和标准化，但只能学习线性关系，是最常见的二分类基线。",
    GRADIENT_BOOSTING: "scikit-learn 的梯度提升树，用与 MLP 相同的原始特征训练，是表格数据上很强的常用基线。",
}

METRIC_NOTES = (
    ("ROC-AUC", "随机取一个点赞样本和一个未点赞样本，模型给点赞样本打分更高的概率；0.5 等于乱猜，1 表示完美排序，越大越好。"),
    ("PR-AUC", "精确率-召回率曲线下的面积（平均精确率），更关注正样本排在前面的程度；随机打分时约等于正样本占比，越大越好。"),
    ("log loss", "对数损失：预测概率离真实标签有多远，既看排序也看概率准不准，越小越好；把所有样本都预测成正样本占比时是一个参照值。"),
    ("ECE", "期望校准误差：把预测概率分成 10 档，每档“平均预测概率”和“实际点赞比例”差多少，按样本数加权平均，越小说明概率越可信。"),
    ("精确率 / 召回率", "在下面的阈值上，预测为“会点赞”的样本里真正点赞的比例（精确率），以及所有真正点赞的样本里被找出来的比例（召回率）。"),
)


def _number(value: float, digits: int = 4) -> str:
    return "—" if value != value else f"{value:.{digits}f}"  # NaN prints as a dash


def verdict(scores: dict[str, Scores]) -> tuple[bool, str]:
    """Return whether the MLP's ROC-AUC beats the popularity baseline's, and the sentence that states it."""
    mlp, popularity = scores[MLP].roc_auc, scores[POPULARITY].roc_auc
    if mlp > popularity:
        return True, (
            f"MLP 的 ROC-AUC 为 {mlp:.4f}，高于热度基线的 {popularity:.4f}："
            "模型学到了“这条动态本身热不热”之外的个性化信息（用户与作者的关系、偏好的类型、距离等）。"
        )
    return False, (
        f"**MLP 没有超过热度基线**：MLP 的 ROC-AUC 为 {mlp:.4f}，热度基线为 {popularity:.4f}。"
        "这说明模型目前还不如“直接推荐已经很热的动态”，不应上线；可以检查特征、增加数据或调整超参数。"
    )


def build_report(
    *,
    scores: dict[str, Scores],
    threshold_note: str,
    importance: dict[str, float],
    source_auc: dict[str, tuple[int, float]],
    test_rows: int,
    test_positives: int,
    test_period: str,
    sampling: str,
    model_path: str,
    model_sha256: str,
    model_run_id: str,
    training_set_version: str,
    best_epoch: int,
    pos_weight: float,
    reliability_path: str,
) -> str:
    """Return the whole evaluation report as markdown."""
    _, conclusion = verdict(scores)
    best = max(scores, key=lambda name: scores[name].roc_auc)
    base_rate = test_positives / test_rows
    ranked_importance = sorted(importance.items(), key=lambda item: item[1], reverse=True)
    lines = [
        "# 场景 2：点赞行为预测 — 评估报告",
        "",
        "## 结论",
        "",
        conclusion,
        "",
        f"在所有模型中，ROC-AUC 最高的是 **{best}**（{scores[best].roc_auc:.4f}）。"
        + ("" if best == MLP else " MLP 没有超过它，说明在这份数据上神经网络还不是最好的选择。"),
        "",
        "## 评估对象",
        "",
        f"- 模型文件：`{model_path}`（sha256 `{model_sha256}`，已校验；来自 run `{model_run_id}`，第 {best_epoch} 轮的权重）",
        f"- 训练集版本：`{training_set_version}`",
        f"- 测试集：{test_rows} 个候选样本，其中 {test_positives} 个点赞（占 {base_rate:.1%}），事件时间 {test_period}。"
        "测试集是时间上最新的一段，训练时模型没有见过。",
        f"- 样本构造：{sampling}",
        f"- 类别不平衡：训练时正样本权重 pos_weight = {pos_weight:.3f}（负样本数 / 正样本数）；推理时把 logit 减去 ln(pos_weight)，"
        "让概率回到真实的正样本占比上。注意这里的“概率”是相对抽样后的候选集合而言的，不是真实曝光下的点赞率。",
        "",
        "## 指标怎么读",
        "",
        *[f"- **{name}**：{note}" for name, note in METRIC_NOTES],
        "",
        "## 模型与基线",
        "",
        *[f"- **{name}**：{note}" for name, note in PREDICTOR_NOTES.items()],
        "",
        f"作为参照：把每个样本都预测成正样本占比 {base_rate:.3f} 时，log loss 为 "
        f"{_baseline_log_loss(base_rate):.4f}，ROC-AUC 为 0.5。",
        "",
        "| 模型 | ROC-AUC | PR-AUC | log loss | ECE | 阈值 | 精确率 | 召回率 | F1 |",
        "|---|---|---|---|---|---|---|---|---|",
        *[
            f"| {name} | {_number(s.roc_auc)} | {_number(s.pr_auc)} | {_number(s.log_loss)} | {_number(s.calibration_error)} | "
            f"{s.at_threshold.threshold:.3f} | {_number(s.at_threshold.precision, 3)} | {_number(s.at_threshold.recall, 3)} | "
            f"{_number(s.at_threshold.f1, 3)} |"
            for name, s in scores.items()
        ],
        "",
        f"阈值的选法：{threshold_note}",
        "",
        "## 校准（可靠性图）",
        "",
        "横轴是模型给出的平均概率，纵轴是这些样本中实际点赞的比例；点越靠近对角线，说明“模型说 70%”时真的大约 70% 会点赞。",
        "",
        f"![可靠性图]({reliability_path})",
        "",
        "## 哪些特征最重要（排列重要性）",
        "",
        "把测试集中某一列特征随机打乱（切断它与标签的联系），看 MLP 的 ROC-AUC 下降多少；下降越多，模型越依赖这个特征。"
        "接近 0 或为负说明模型几乎没有用到它。",
        "",
        "| 特征 | AUC 下降 |",
        "|---|---|",
        *[f"| {name} | {drop:.4f} |" for name, drop in ranked_importance],
        "",
        "## 按负样本来源分开看 MLP",
        "",
        "只用测试集的点赞样本和某一种来源的负样本计算 ROC-AUC。数值越低，说明这一类负样本越难与真实点赞区分："
        "engaged_author 是用户互动过的作者发的动态，same_province 是同省发布的动态，feed 是全站动态。",
        "",
        "| 负样本来源 | 负样本数 | MLP ROC-AUC |",
        "|---|---|---|",
        *[f"| {source} | {count} | {_number(auc)} |" for source, (count, auc) in source_auc.items()],
        "",
    ]
    return "\n".join(lines)


def _baseline_log_loss(rate: float) -> float:
    """Log loss of predicting `rate` for every row when `rate` is the share of positives."""
    if rate <= 0 or rate >= 1:
        return float("nan")
    return -(rate * math.log(rate) + (1 - rate) * math.log(1 - rate))
