"""The Chinese markdown report of the scenario 5 evaluation, written for readers new to machine learning."""

from dataclasses import dataclass

KS = (10, 20)

GEO_MODEL = "地理感知 LightGCN"
LIGHTGCN = "LightGCN（不看地理）"
POPULARITY = "热门基线"
GEO_POPULAR = "附近热门基线"

RANKER_NOTES = {
    GEO_MODEL: "本次评估的主模型：LightGCN 加上地点格子向量和按距离分段的偏置。",
    LIGHTGCN: "同样的 LightGCN，但去掉所有地理信息；它和主模型的差距就是“地理位置”带来的收益。",
    POPULARITY: "不训练：给每个用户推荐同一批候选里截至当时点赞最多的动态。",
    GEO_POPULAR: "不训练：先推荐离用户常驻地不超过 {near_km:g} 公里的动态，再按点赞数排序；不知道常驻地的用户退回热门基线。",
}

METRIC_NOTES = (
    ("Recall@K（召回率）", "用户在测试期真正点赞或评论的候选动态里，有多大比例出现在推荐的前 K 条中；越大越好。"),
    ("NDCG@K", "和召回率类似，但命中的动态排得越靠前得分越高（第 1 位的命中比第 20 位值钱）；1 表示完美排序，越大越好。"),
    ("命中率@K", "推荐的前 K 条里至少命中一条的用户占比；越大越好。"),
    ("覆盖率@20", "所有用户的前 20 条推荐加起来，覆盖了多少比例的候选动态；太低说明大家看到的都是同一批热门动态。"),
    ("平均距离（公里）", "推荐的动态离用户常驻地的平均距离（只算双方位置都已知的）；越小说明推荐越“本地”。它不分好坏，用来看模型是否真的用上了位置。"),
)


@dataclass(frozen=True)
class RankerScores:
    recall: dict[int, float]  # K -> Recall@K
    ndcg: dict[int, float]
    hit_rate: dict[int, float]
    coverage: float  # of the top 20
    mean_distance_km: float  # NaN when no pair has both places
    recall_interval: tuple[float, float] | None = None  # 95% bootstrap interval of (geo model - this) Recall@20


@dataclass(frozen=True)
class TrainingFacts:
    training_seconds: float
    samples_per_second: float
    best_epoch: int
    epochs_run: int
    model_path: str
    model_sha256: str


def _number(value: float, digits: int = 4) -> str:
    return "—" if value != value else f"{value:.{digits}f}"  # NaN prints as a dash


def _comparison(scores: dict[str, RankerScores], other: str) -> str:
    ours, theirs = scores[GEO_MODEL].recall[20], scores[other].recall[20]
    interval = scores[other].recall_interval
    spread = ""
    if interval is not None:
        low, high = interval
        spread = f"差值的 95% 区间为 [{low:+.4f}, {high:+.4f}]"
        spread += "，区间包含 0，这个差距可能只是随机波动" if low <= 0 <= high else "，区间不含 0"
        spread = f"；{spread}"
    if ours > theirs:
        return f"- 超过了 **{other}**：Recall@20 {ours:.4f} 对 {theirs:.4f}（高 {(ours - theirs) / max(theirs, 1e-12):.0%}）{spread}。"
    return f"- **没有超过 {other}**：Recall@20 {ours:.4f} 对 {theirs:.4f}{spread}。"


def verdict(scores: dict[str, RankerScores]) -> tuple[bool, list[str]]:
    """Return whether the geo model beats every baseline on Recall@20, and one line per comparison."""
    lines = [_comparison(scores, other) for other in (POPULARITY, GEO_POPULAR, LIGHTGCN)]
    beats_all = all(scores[GEO_MODEL].recall[20] > scores[other].recall[20] for other in (POPULARITY, GEO_POPULAR, LIGHTGCN))
    return beats_all, lines


def build_report(
    *,
    scores: dict[str, RankerScores],
    near_km: float,
    users: int,
    targets: int,
    candidates: int,
    test_period: str,
    candidate_days: float,
    graph_sha256: str,
    training: dict[str, TrainingFacts],
    distance_bias: dict[str, float],
) -> str:
    """Return the whole evaluation report as markdown."""
    beats_all, comparison_lines = verdict(scores)
    summary = (
        "地理感知模型在 Recall@20 上超过了全部三个对照。"
        if beats_all
        else "地理感知模型**没有**在 Recall@20 上超过全部对照，见下面逐项比较；在它超过所有基线之前不应上线。"
    )
    header = "| 模型 | " + " | ".join(f"Recall@{k} | NDCG@{k} | 命中率@{k}" for k in KS) + " | 覆盖率@20 | 平均距离（公里） |"
    rows = [
        f"| {name} | "
        + " | ".join(f"{_number(s.recall[k])} | {_number(s.ndcg[k])} | {_number(s.hit_rate[k])}" for k in KS)
        + f" | {_number(s.coverage, 3)} | {_number(s.mean_distance_km, 0)} |"
        for name, s in scores.items()
    ]
    lines = [
        "# 场景 5：地理位置推荐 — 评估报告",
        "",
        "## 结论",
        "",
        summary,
        "",
        *comparison_lines,
        "",
        "差值区间用配对 bootstrap 计算：把测试用户有放回地重抽 2000 次，每次算两者 Recall@20 的差。",
        "",
        "## 怎么评估的",
        "",
        f"- 按时间切分：测试期是数据最后的一段（{test_period}）。测试期里的点赞和评论全部留出，不进入训练图，也不进入打分时使用的图。",
        f"- 在测试期开始的那一刻，把最近 {candidate_days:g} 天发布的 {candidates} 条动态作为候选（信息流里还会出现的动态），"
        "为每个用户排出前 20 条；用户自己发的、以及测试期之前已经赞过或评论过的动态不参与排序。",
        f"- 答案是用户在测试期里点赞或评论的候选动态：共 {users} 个用户、{targets} 次互动。",
        "- 所有模型和基线在同一次运行、同一批候选和同一批用户上计算，数字可以直接比较。",
        f"- 推荐图版本（sha256）：`{graph_sha256}`",
        "",
        "## 指标怎么读",
        "",
        *[f"- **{name}**：{note}" for name, note in METRIC_NOTES],
        "",
        "## 模型与基线",
        "",
        *[f"- **{name}**：{note.format(near_km=near_km)}" for name, note in RANKER_NOTES.items()],
        "",
        header,
        "|---|" + "---|" * (3 * len(KS) + 2),
        *rows,
        "",
        "## 训练",
        "",
        "| 模型 | 训练用时（秒） | 正样本/秒 | 最佳轮 / 总轮数 | 模型文件 |",
        "|---|---|---|---|---|",
        *[
            f"| {name} | {facts.training_seconds:.1f} | {facts.samples_per_second:.0f} | {facts.best_epoch} / {facts.epochs_run} | "
            f"`{facts.model_path}`（sha256 `{facts.model_sha256[:12]}…`，已校验） |"
            for name, facts in training.items()
        ],
        "",
        "## 模型学到的距离偏置",
        "",
        "地理感知模型给“用户常驻地到动态的距离”每一段学了一个加到得分上的数：越大表示这一段距离的动态越容易被推荐。",
        "",
        "| 距离 | 偏置 |",
        "|---|---|",
        *[f"| {band} | {bias:+.3f} |" for band, bias in distance_bias.items()],
        "",
    ]
    return "\n".join(lines)
