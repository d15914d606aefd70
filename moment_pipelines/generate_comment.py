"""Command-line comment generator: `python -m moment_pipelines.generate_comment "今天天气真好"`.

The model file is the one recorded on the latest materialization of the
chosen model asset in the Dagster instance (DAGSTER_HOME, by default
`.dagster_home` in the working directory), checked against its sha256.
"""

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

# Importing the asset package imports every scenario, and torch-geometric (scenario 5)
# warns at import time that torch.jit.script is deprecated; the warning is not about this tool.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)

from dagster import DagsterInstance, Failure  # noqa: E402
from tqdm import tqdm  # noqa: E402

from moment_pipelines.assets.comment_generation.lineage import latest_materialization, recorded_artifact  # noqa: E402
from moment_pipelines.assets.comment_generation.pretrained import (  # noqa: E402
    PRETRAINED_ASSET,
    load_recorded_pretrained,
)
from moment_pipelines.assets.comment_generation.retrieval import load_recorded_baselines  # noqa: E402
from moment_pipelines.assets.comment_generation.seq2seq import SEQ2SEQ_ASSET  # noqa: E402
from moment_pipelines.ml.comment_generation.checkpoint import Seq2SeqCommentGenerator, load_checkpoint  # noqa: E402
from moment_pipelines.ml.comment_generation.cleaning import clean_text  # noqa: E402
from moment_pipelines.ml.comment_generation.decoding import STRATEGIES, DecodingConfig  # noqa: E402
from moment_pipelines.ml.comment_generation.pretrained import PretrainedCommentGenerator  # noqa: E402
from moment_pipelines.resources.artifacts import ArtifactStore  # noqa: E402
from moment_pipelines.settings import load_settings  # noqa: E402

DEFAULT_DAGSTER_HOME = ".dagster_home"
MODELS = ("seq2seq", "retrieval", "frequency", "pretrained")


class ChineseHelpFormatter(argparse.HelpFormatter):
    """argparse's default help layout with the "usage:" prefix in Chinese."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="用法：")


class GenerationError(Exception):
    """A problem the user can fix; the message is Chinese and is printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m moment_pipelines.generate_comment",
        description="为一条动态生成评论。使用 Dagster 实例中模型 asset 最近一次物化记录的模型文件（校验 sha256 后加载）。",
        epilog='示例：python -m moment_pipelines.generate_comment "今天天气真好" --strategy beam',
        formatter_class=ChineseHelpFormatter,
        add_help=False,
    )
    inputs = parser.add_argument_group("输入")
    inputs.add_argument("texts", nargs="+", metavar="动态文本", help="要评论的动态文本；可以给多条，每条分别生成")
    inputs.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    inputs.add_argument(
        "--dagster-home",
        default=None,
        help=f"Dagster 实例目录；默认取环境变量 DAGSTER_HOME，未设置时为当前目录下的 {DEFAULT_DAGSTER_HOME}",
    )

    generation = parser.add_argument_group("模型与解码")
    generation.add_argument(
        "--model",
        choices=MODELS,
        default="seq2seq",
        help="使用哪个阶段的模型：seq2seq（GRU/LSTM + 注意力，默认）、retrieval（TF-IDF 检索）、"
        "frequency（最常见的评论）、pretrained（微调后的预训练模型）",
    )
    generation.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="greedy",
        help="解码策略：greedy 每步取概率最高的词；beam 保留多个候选句子；sample 按概率随机抽取（默认 greedy；retrieval 和 frequency 忽略此项）",
    )

    generation.add_argument("--num", type=int, default=1, help="每条动态生成几条评论（采样时各不相同；默认 1）")
    generation.add_argument("--max-length", type=int, default=30, help="生成评论最多多少个词（默认 30）")
    generation.add_argument("--min-length", type=int, default=1, help="生成评论至少多少个词（默认 1）")
    generation.add_argument("--beam-size", type=int, default=5, help="beam search 的束宽（默认 5）")
    generation.add_argument("--length-penalty", type=float, default=1.0, help="beam search 的长度惩罚指数，越大越偏好长句（默认 1.0）")
    generation.add_argument("--temperature", type=float, default=0.8, help="采样温度：小于 1 更保守，大于 1 更随机（默认 0.8）")
    generation.add_argument("--top-k", type=int, default=20, help="采样时只在概率最高的 k 个词中抽取，0 表示不限制（默认 20）")
    generation.add_argument("--top-p", type=float, default=0.9, help="采样时只在累计概率达到 p 的最小词集合中抽取（默认 0.9）")
    generation.add_argument("--repetition-penalty", type=float, default=1.2, help="重复惩罚，大于 1 时少重复已经生成的词（默认 1.2）")
    generation.add_argument("--seed", type=int, default=0, help="采样的随机种子（默认 0）")
    return parser


def _decoding(arguments: argparse.Namespace) -> DecodingConfig:
    try:
        return DecodingConfig(
            strategy=arguments.strategy,
            max_length=arguments.max_length,
            min_length=arguments.min_length,
            beam_size=arguments.beam_size,
            length_penalty=arguments.length_penalty,
            temperature=arguments.temperature,
            top_k=arguments.top_k,
            top_p=arguments.top_p,
            repetition_penalty=arguments.repetition_penalty,
        )
    except ValueError as error:
        raise GenerationError(f"解码参数无效：{error}") from error


def _dagster_home(argument: str | None) -> Path:
    home = Path(argument or os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).expanduser().absolute()
    if not home.is_dir():
        raise GenerationError(
            f"Dagster 实例目录 {home} 不存在，说明还没有物化过任何模型。"
            "请先运行 make run，或在 Dagster UI 中物化 comment_generation 组的 asset。"
        )
    return home


def load_generator(
    instance: DagsterInstance, model: str, decoding: DecodingConfig, seed: int
) -> Callable[[str], str]:
    """Return the `generate` function of the chosen model, loaded from the asset's latest materialization."""
    artifacts = ArtifactStore(root=str(load_settings().artifacts_dir))
    if model in ("retrieval", "frequency"):
        retrieval, frequency, _ = load_recorded_baselines(instance, artifacts)
        return retrieval.generate if model == "retrieval" else frequency.generate
    if model == "seq2seq":
        recorded = recorded_artifact(instance, SEQ2SEQ_ASSET, "model", artifacts)
        network, vocabulary, checkpoint = load_checkpoint(recorded.path)
        return Seq2SeqCommentGenerator(network, vocabulary, checkpoint["max_source_tokens"], decoding, seed).generate

    metadata, _ = latest_materialization(instance, PRETRAINED_ASSET)
    if metadata.get("skipped"):
        raise GenerationError(f"预训练模型最近一次物化被跳过了：{metadata.get('skip_reason')}")
    pretrained, manifest, _ = load_recorded_pretrained(instance, artifacts)
    source_tokens = manifest["fine_tune_config"]["max_source_tokens"]
    return PretrainedCommentGenerator(pretrained, decoding, source_tokens, seed).generate


def generate_comments(arguments: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """Return each input text with its generated comments."""
    if arguments.num < 1:
        raise GenerationError(f"--num 必须至少为 1，收到 {arguments.num}")
    for text in arguments.texts:
        if not clean_text(text):
            raise GenerationError(f"动态文本“{text}”清洗后为空（只有空白、链接、@用户名或电话号码），无法生成评论。")
    decoding = _decoding(arguments)
    home = _dagster_home(arguments.dagster_home)
    with DagsterInstance.from_config(str(home)) as instance:
        try:
            generate = load_generator(instance, arguments.model, decoding, arguments.seed)
        except Failure as error:
            raise GenerationError(error.description) from error
    texts = tqdm(arguments.texts, desc="生成评论", unit="条", disable=len(arguments.texts) < 2)
    return [(text, [generate(text) for _ in range(arguments.num)]) for text in texts]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        results = generate_comments(arguments)
    except GenerationError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    for text, comments in results:
        if len(results) > 1:
            print(f"【{text}】")
        for comment in comments:
            print(comment or "（模型生成了空评论）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
