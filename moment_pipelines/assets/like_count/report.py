"""The Chinese markdown report of the scenario 1 evaluation, written for readers new to machine learning."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    """Test-split metrics of one predictor."""

    mae_log: float
    rmse_log: float
    mae_raw: float
    rmse_raw: float
    spearman: float


@dataclass(frozen=True)
class BucketRow:
    """Error of every predictor on the test moments whose actual like count falls in one bucket."""

    label: str  # e.g. "3–9"
    rows: int
    mae_log: dict[str, float]  # predictor name -> MAE on the log scale


# Predictor names as the report and the metadata show them, in table order.
MLP = "MLP (LikePredictor)"
GLOBAL_MEAN = "全局均值基线"
AUTHOR_MEAN = "作者历史均值基线"
GRADIENT_BOOSTING = "HistGradientBoosting 基线"

PREDICTOR_NOTES = {
    MLP: "本次评估的神经网络模型。",
    GLOBAL_MEAN: "对每条动态都预测同一个数：训练集 log1p(点赞数) 的平均值（换回点赞数约为几何平均）。",
    AUTHOR_MEAN: "预测作者此前动态的平均点赞数（author_history_features.author_mean_likes，只用发布前的数据，"
    "历史少时向全站均值收缩）。平均值容易被作者的少数爆款拉高，所以它在对数尺度上常常预测偏高。",
    GRADIENT_BOOSTING: "scikit-learn 的梯度提升树，用与 MLP 完全相同的特征和训练集训练，是表格数据上很强的常用基线。",
}

METRIC_NOTES = (
    ("MAE（对数尺度）", "预测值与真实值在 log1p(点赞数) 上相差的平均绝对值，越小越好；0.5 大约表示平均差 1.6 倍，1.0 大约差 2.7 倍。"),
    ("RMSE（对数尺度）", "先把误差平方、求平均再开方，越小越好；它比 MAE 更重地惩罚少数差得很远的预测。"),
    ("MAE（点赞数）", "直接用点赞个数计算的平均绝对误差，单位是“个赞”，越小越好；会被少数爆款动态明显拉高。"),
    ("RMSE（点赞数）", "点赞个数上的均方根误差，越小越好；几条点赞上千的动态就能主导这个数。"),
    (
        "Spearman",
        "只看排序：预测的高低顺序和真实点赞数的高低顺序有多一致，1 表示完全一致，0 表示毫无关系，越大越好；"
        "对所有动态给出同一个数的模型没有排序，显示为 —。",
    ),
)


def _number(value: float, digits: int = 3) -> str:
    return "—" if value != value else f"{value:.{digits}f}"  # NaN prints as a dash


def verdict(scores: dict[str, Scores]) -> tuple[bool, str]:
    """Return whether the MLP beats the author-mean baseline on log-scale MAE, with the sentence that reports it."""
    mlp, author = scores[MLP].mae_log, scores[AUTHOR_MEAN].mae_log
    if mlp < author:
        return True, (
            f"MLP 的 MAE（对数尺度）为 {mlp:.3f}，低于作者历史均值基线的 {author:.3f}，"
            f"即误差小了 {(author - mlp) / author:.1%}：模型学到了作者历史之外的有用信息。"
        )
    return False, (
        f"**MLP 没有超过作者历史均值基线**：MLP 的 MAE（对数尺度）为 {mlp:.3f}，基线为 {author:.3f}。"
        "这说明模型目前还不如“直接用作者过去的平均点赞数”，不应上线；可以尝试更多数据、更多特征或调整超参数。"
    )


def build_report(
    *,
    scores: dict[str, Scores],
    buckets: list[BucketRow],
    test_rows: int,
    test_period: str,
    model_path: str,
    model_sha256: str,
    model_run_id: str,
    training_set_version: str,
    best_epoch: int,
) -> str:
    """Return the whole evaluation report as markdown."""
    _, conclusion = verdict(scores)
    best_name = min(scores, key=lambda name: scores[name].mae_log)
    lines = [
        "# 场景 1：动态点赞数预测 — 评估报告",
        "",
        "## 结论",
        "",
        conclusion,
        "",
        f"在所有模型中，MAE（对数尺度）最低的是 **{best_name}**（{scores[best_name].mae_log:.3f}）。",
        "",
        "## 评估对象",
        "",
        f"- 模型文件：`{model_path}`（sha256 `{model_sha256}`，已校验；来自 run `{model_run_id}`，第 {best_epoch} 轮的权重）",
        f"- 训练集版本：`{training_set_version}`",
        f"- 测试集：{test_rows} 条动态，发布时间 {test_period}。测试集是时间上最新的一段，训练时模型没有见过这些动态。",
        "",
        "## 指标怎么读",
        "",
        *[f"- **{name}**：{note}" for name, note in METRIC_NOTES],
        "",
        "## 模型与基线",
        "",
        *[f"- **{name}**：{note}" for name, note in PREDICTOR_NOTES.items()],
        "",
        "| 模型 | MAE（对数） | RMSE（对数） | MAE（点赞数） | RMSE（点赞数） | Spearman |",
        "|---|---|---|---|---|---|",
        *[
            f"| {name} | {_number(s.mae_log)} | {_number(s.rmse_log)} | {_number(s.mae_raw, 2)} | "
            f"{_number(s.rmse_raw, 2)} | {_number(s.spearman)} |"
            for name, s in scores.items()
        ],
        "",
        "## 按真实点赞数分桶的 MAE（对数尺度）",
        "",
        "同一个模型在不同热度的动态上表现可能差别很大：回归模型的预测会向平均值收缩，"
        "所以常常把冷门动态预测得偏高、把爆款预测得偏低。",
        "",
        "| 点赞数 | 动态数 | " + " | ".join(scores) + " |",
        "|---|---|" + "---|" * len(scores),
        *[
            f"| {bucket.label} | {bucket.rows} | "
            + " | ".join(_number(bucket.mae_log[name]) for name in scores)
            + " |"
            for bucket in buckets
        ],
        "",
    ]
    return "\n".join(lines)
