"""The Chinese markdown report of the scenario 3 evaluation, written for readers new to machine learning."""

from dataclasses import dataclass

from moment_pipelines.ml.comment_generation.evaluate import GenerationScores, PerplexityScore
from moment_pipelines.privacy import mask_text

# Display names of the generators and perplexity models, in table order.
DISPLAY_NAMES = {
    "frequency": "高频评论基线",
    "retrieval": "TF-IDF 检索基线",
    "unigram": "unigram 语言模型",
    "bigram": "bigram 语言模型",
    "seq2seq_greedy": "seq2seq（greedy）",
    "seq2seq_beam": "seq2seq（beam search）",
    "seq2seq_sample": "seq2seq（top-k/top-p 采样）",
    "seq2seq": "seq2seq（GRU/LSTM + 注意力）",
    "pretrained": "预训练模型微调",
    "pretrained_greedy": "预训练模型（greedy）",
    "pretrained_sample": "预训练模型（采样）",
    "reference": "人工评论（参考）",
}


# BLEU-2 differences below this are reported as a tie; the table shows three decimals.
_BLEU_TIE = 5e-4


@dataclass(frozen=True)
class StageSummary:
    """One row of the stage table: what was trained, on how much data, in how long."""

    stage: str
    model: str
    status: str  # "已训练" or the reason it was skipped
    rows_train: int | None
    training_seconds: float | None


@dataclass(frozen=True)
class ReportInputs:
    tokenization: str
    vocabulary_size: int
    test_pairs: int
    perplexity_pairs: int
    generation_moments: int
    test_unknown_share: float  # share of test comment tokens outside the vocabulary
    test_moment_seen_share: float  # share of generation moments whose exact text occurs in train
    stages: list[StageSummary]
    perplexities: list[PerplexityScore]
    generations: list[GenerationScores]
    reference_distinct1: float
    reference_distinct2: float
    reference_average_length: float
    samples: list[dict[str, str]]  # one dict per sample moment: "moment", "reference", then one entry per generator
    decoding_summary: str
    pretrained_skip_reason: str | None


def _name(key: str) -> str:
    return DISPLAY_NAMES.get(key, key)


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


def _cell(text: str, limit: int = 40) -> str:
    text = mask_text(text).replace("|", "\\|").replace("\n", " ").strip()
    if len(text) > limit:
        text = text[:limit] + "…"
    return text or "（空）"


def _perplexity_conclusion(scores: dict[str, PerplexityScore]) -> str:
    sequence, bigram, unigram = scores.get("seq2seq"), scores.get("bigram"), scores.get("unigram")
    if sequence is None or bigram is None or unigram is None:
        return ""
    best_baseline = min(bigram.perplexity, unigram.perplexity)
    change = (sequence.perplexity - best_baseline) / best_baseline
    if sequence.perplexity < best_baseline:
        return (
            f"**结论：序列模型的困惑度 {sequence.perplexity:.2f} 低于最好的 n-gram 基线 {best_baseline:.2f}"
            f"（低 {-change:.1%}）**，说明它从动态内容和更长的上下文里学到了 n-gram 统计之外的东西。"
        )
    gap = f"是基线的 {1 + change:.1f} 倍" if change >= 1 else f"高 {change:.1%}"
    return (
        f"**结论：序列模型的困惑度 {sequence.perplexity:.2f} 没有低于 n-gram 基线 {best_baseline:.2f}"
        f"（{gap}）**。模型没有比“只统计评论里哪些词常相邻”做得更好："
        "训练数据可能太少、训练轮数不够，或者评论和动态内容关系不大。可以增加训练数据、调整 epochs 或 learning_rate 后再比较。"
    )


def _generation_conclusion(scores: dict[str, GenerationScores]) -> str:
    lines = []
    best = max(scores.values(), key=lambda score: score.bleu2)
    lines.append(f"- BLEU-2 最高的是 **{_name(best.name)}**（{best.bleu2:.3f}）。")
    frequency, retrieval = scores.get("frequency"), scores.get("retrieval")
    for key in ("seq2seq_greedy", "seq2seq_beam", "pretrained_greedy"):
        model = scores.get(key)
        if model is None:
            continue
        for baseline in (frequency, retrieval):
            if baseline is None:
                continue
            if abs(model.bleu2 - baseline.bleu2) < _BLEU_TIE:
                verdict = "与"
                ending = "持平"
            else:
                verdict = "高于" if model.bleu2 > baseline.bleu2 else "**没有高于**"
                ending = ""
            lines.append(
                f"- {_name(key)} 的 BLEU-2 {model.bleu2:.3f} {verdict}{_name(baseline.name)}（{baseline.bleu2:.3f}）{ending}。"
            )
    if frequency is not None:
        lines.append(
            "- 高频评论基线对每条动态都回复同一句话，distinct 接近 0；"
            "它的 BLEU 往往不低，因为短而常见的评论（如“哈哈哈”）本来就经常出现在参考答案里。"
        )
    return "\n".join(lines)


def render_report(inputs: ReportInputs) -> str:
    """Return the report markdown."""
    perplexities = {score.name: score for score in inputs.perplexities}
    generations = {score.name: score for score in inputs.generations}
    sample_keys = [key for key in inputs.samples[0] if key not in ("moment", "reference")] if inputs.samples else []

    lines = [
        "# 场景 3：评论生成评估报告",
        "",
        f"评估数据是 test 划分（评论发布时间最新的一段，模型训练时没见过）：共 {inputs.test_pairs} 对（动态，评论）。"
        f"困惑度在其中 {inputs.perplexity_pairs} 对上计算；生成质量在 {inputs.generation_moments} 条不同的动态上计算，"
        "同一条动态在 test 中的所有评论都算作参考答案。",
        f"分词方式：{inputs.tokenization}；词表 {inputs.vocabulary_size} 个词；test 评论中有 {inputs.test_unknown_share:.1%} 的词不在词表里（记作 <unk>）。"
        f"用于生成的动态中有 {inputs.test_moment_seen_share:.1%} 的文本在 train 中原样出现过（同一条动态的新评论，或重复的动态），检索基线在这些动态上有优势。",
        "",
        "## 三个阶段",
        "",
        "| 阶段 | 模型 | 状态 | 训练数据（对） | 训练用时（秒） |",
        "|---|---|---|---|---|",
        *[
            f"| {stage.stage} | {stage.model} | {stage.status} | "
            f"{'—' if stage.rows_train is None else stage.rows_train} | {_number(stage.training_seconds, 1)} |"
            for stage in inputs.stages
        ],
        "",
    ]
    if inputs.pretrained_skip_reason:
        lines += [f"预训练阶段已跳过：{inputs.pretrained_skip_reason}", ""]

    lines += [
        "## 困惑度（perplexity）",
        "",
        "困惑度衡量模型对真实评论有多“意外”：模型给真实评论每个词的概率越高，困惑度越低，越好。"
        "困惑度为 100 大致相当于模型在每个位置要在 100 个同样可能的词里猜一个。"
        "只有能给出“下一个词的概率”的模型才有困惑度，检索和高频评论基线没有。",
        "",
        "- **unigram 语言模型**：只统计每个词在训练评论中出现的频率（加一平滑），不看上下文，也不看动态。",
        "- **bigram 语言模型**：根据前一个词预测下一个词（Kneser-Ney 平滑），同样不看动态。",
        "- 序列模型和两个 n-gram 基线使用同一个词表，困惑度可以直接比较。预训练模型用它自己的分词器，"
        "每词困惑度不能直接比较，请看“每字困惑度”（总负对数似然除以字符数，与分词方式无关）。",
        "",
        "| 模型 | 困惑度（每词，越低越好） | 每字困惑度 | 预测的词数 |",
        "|---|---|---|---|",
        *[
            f"| {_name(score.name)} | {score.perplexity:.2f} | {score.perplexity_per_character:.2f} | {score.predicted_tokens} |"
            for score in inputs.perplexities
        ],
        "",
        _perplexity_conclusion(perplexities),
        "",
        "## 生成质量",
        "",
        "- **BLEU-1 / BLEU-2**：生成的评论和真实评论有多少相同的单字（BLEU-1）和相邻两字（BLEU-2），0 到 1，越高越像人写的评论。"
        "这里按字计算，并对太短的生成结果打折扣（brevity penalty）。评论很开放，同一条动态可以有很多种好评论，所以数值普遍很低，主要用来横向比较。",
        "- **distinct-1 / distinct-2**：所有生成结果中不重复的单字 / 相邻两字占全部的比例，衡量多样性。"
        "总是回复“哈哈哈”的模型 distinct 很低。",
        "- **平均长度**：每条生成评论的平均字数，和人工评论比较，太短通常说明模型只会说万能回复。",
        "",
        f"解码设置：{inputs.decoding_summary}",
        "",
        "| 模型 | BLEU-1 | BLEU-2 | distinct-1 | distinct-2 | 平均长度（字） | 空结果 | 每条用时（毫秒） |",
        "|---|---|---|---|---|---|---|---|",
        *[
            f"| {_name(score.name)} | {score.bleu1:.3f} | {score.bleu2:.3f} | {score.distinct1:.3f} | {score.distinct2:.3f} | "
            f"{score.average_length:.1f} | {score.empty} | {score.seconds_per_comment * 1000:.1f} |"
            for score in inputs.generations
        ],
        f"| {_name('reference')} | — | — | {inputs.reference_distinct1:.3f} | {inputs.reference_distinct2:.3f} | "
        f"{inputs.reference_average_length:.1f} | — | — |",
        "",
        _generation_conclusion(generations),
        "",
        "## 安全过滤",
        "",
        "每个模型的输出都经过同一个过滤器：去掉链接、电话号码（7 位以上的数字串）和 @用户名。"
        f"过滤后仍含这些内容的生成结果：{sum(score.with_personal_data for score in inputs.generations)} 条。",
        "",
        f"## 生成样例（{len(inputs.samples)} 条）",
        "",
        "| # | 动态 | 真实评论 | " + " | ".join(_name(key) for key in sample_keys) + " |",
        "|---|---|---|" + "---|" * len(sample_keys),
        *[
            f"| {number} | {_cell(sample['moment'])} | {_cell(sample['reference'])} | "
            + " | ".join(_cell(sample[key]) for key in sample_keys)
            + " |"
            for number, sample in enumerate(inputs.samples, start=1)
        ],
        "",
    ]
    return "\n".join(lines)
