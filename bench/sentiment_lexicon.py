"""Measure the lexicon sentiment score against human-labelled Weibo posts.

Usage:
    python bench/sentiment_lexicon.py [DATA_DIR]

DATA_DIR contains weibo2018_train.txt and weibo2018_test.txt, one `id,label,text`
line per post with label 1 for positive and 0 for negative. A text whose
score is above 0 is predicted positive and one below 0 negative. Texts that
score exactly 0 (no sentiment word found) get the majority label of the train
file, the rule fitted on train and applied to test. The script prints, for
each file, the number of posts, the share that has a non-zero score,
accuracy, F1 of the positive class, macro F1 and ROC-AUC of the raw score.
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from tqdm import tqdm

from moment_pipelines.text.sentiment import hownet_lexicon, score_text

DEFAULT_DATA_DIR = Path("/work/shared/realdata/sentiment")
FILES = {"train": "weibo2018_train.txt", "test": "weibo2018_test.txt"}


@dataclass
class LabelledText:
    label: int
    text: str


def read_labelled(path: Path) -> list[LabelledText]:
    """Read `id,label,text` lines; the text may itself contain commas."""
    rows = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split(",", 2)
            if len(parts) != 3 or parts[1] not in ("0", "1"):
                raise ValueError(f"{path} 第 {number} 行格式无效，应为 id,label,text 且 label 为 0 或 1：{line[:60]!r}")
            rows.append(LabelledText(label=int(parts[1]), text=parts[2]))
    return rows


def score_all(rows: list[LabelledText], name: str) -> list[float]:
    return [score_text(row.text).score for row in tqdm(rows, desc=f"打分 {name}", unit="条")]


def report(name: str, rows: list[LabelledText], scores: list[float], tie_label: int) -> None:
    labels = [row.label for row in rows]
    predicted = []
    for score in scores:
        if score == 0:
            predicted.append(tie_label)
        else:
            predicted.append(1 if score > 0 else 0)
    covered = sum(score != 0 for score in scores) / len(scores)
    print(
        f"{name}: {len(rows)} 条，正面占比 {sum(labels) / len(labels):.3f}，有情感词（得分非 0）占比 {covered:.3f}，"
        f"accuracy {accuracy_score(labels, predicted):.4f}，F1(正面) {f1_score(labels, predicted):.4f}，"
        f"macro F1 {f1_score(labels, predicted, average='macro'):.4f}，ROC-AUC(原始得分) {roc_auc_score(labels, scores):.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="用人工标注的微博情感数据评估词典情感得分（accuracy 和 F1）。")
    parser.add_argument(
        "data_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"包含 {FILES['train']} 和 {FILES['test']} 的目录（默认 {DEFAULT_DATA_DIR}）",
    )
    args = parser.parse_args(argv)

    missing = [args.data_dir / filename for filename in FILES.values() if not (args.data_dir / filename).is_file()]
    if missing:
        print(
            f"找不到情感标注数据：{', '.join(str(path) for path in missing)}。"
            "请把目录作为第一个参数传入，目录里应有每行 id,label,text 的两个文件。",
            file=sys.stderr,
        )
        return 2

    print(f"词典：{hownet_lexicon().source}")
    train = read_labelled(args.data_dir / FILES["train"])
    test = read_labelled(args.data_dir / FILES["test"])
    train_scores = score_all(train, "train")
    test_scores = score_all(test, "test")

    tie_label = int(sum(row.label for row in train) * 2 >= len(train))
    print(f"得分为 0 的文本判为 {tie_label}（train 中的多数类）")
    report("train", train, train_scores, tie_label)
    report("test", test, test_scores, tie_label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
