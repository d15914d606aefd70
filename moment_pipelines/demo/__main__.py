"""Command line: python -m moment_pipelines.demo [--out DIR] [--moments N] [--seed S] [--no-images] [--if-missing]."""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .generator import DEFAULT_MOMENTS, DEFAULT_SEED, DemoSummary, export_paths, generate

DEFAULT_OUT_DIR = Path("data") / "demo"


class _ChineseHelpFormatter(argparse.HelpFormatter):
    """Help formatter that prints the usage line with a Chinese prefix."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class _ChineseArgumentParser(argparse.ArgumentParser):
    """Argument parser that reports usage errors in Chinese."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def _positive_int(text: str) -> int:
    value = _parse_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"必须是正整数，收到 {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = _parse_int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"必须是非负整数，收到 {text!r}")
    return value


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是整数：{text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _ChineseArgumentParser(
        prog="python -m moment_pipelines.demo",
        formatter_class=_ChineseHelpFormatter,
        add_help=False,
        description=(
            "生成演示用的 MongoDB 导出文件 moments.json、likes.json 和 comments.json"
            "（JSON Lines，与 mongoexport 的 relaxed Extended JSON 格式相同）。"
            "相同的种子和动态条数生成逐字节相同的文件。"
        ),
    )
    options = parser.add_argument_group("选项")
    options.add_argument("-h", "--help", action="help", help="显示本帮助信息并退出")
    options.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=DEFAULT_OUT_DIR,
        help="输出目录，不存在时自动创建；默认 data/demo（相对于当前目录）",
    )
    options.add_argument(
        "--moments",
        type=_positive_int,
        default=DEFAULT_MOMENTS,
        metavar="N",
        help=(
            f"生成的动态条数（条），默认 {DEFAULT_MOMENTS}。"
            "用户数、点赞数和评论数随之按比例变化（每条动态约 10 个点赞、1.5 条评论，"
            "用户数约为动态条数的 0.21 倍，至少 50 个），测试时可用较小的值"
        ),
    )
    options.add_argument(
        "--seed",
        type=_non_negative_int,
        metavar="SEED",
        default=DEFAULT_SEED,
        help=f"随机种子（非负整数），默认 {DEFAULT_SEED}",
    )
    options.add_argument(
        "--no-images",
        action="store_true",
        help="不生成 images/ 目录（图片池和图片 URL 清单）；三个导出文件不受影响",
    )
    options.add_argument(
        "--if-missing",
        action="store_true",
        help="三个文件都已存在时不重新生成，只打印提示",
    )
    return parser


def print_summary(summary: DemoSummary, seed: int, seconds: float) -> None:
    print(f"演示数据已生成（种子 {seed}，用时 {seconds:.1f} 秒）：")
    print(f"  用户 {summary.users} 个")
    print(f"  动态 {summary.moments} 条 → {summary.moments_path}")
    print(f"  点赞 {summary.likes} 条 → {summary.likes_path}")
    print(f"  评论 {summary.comments} 条 → {summary.comments_path}")
    if summary.images is not None:
        images = summary.images
        print(
            f"  图片 {images.pool_files} 个文件，{images.mapped_urls} 个图片 URL 映射到它们"
            f"（{images.missing_urls} 个 URL 故意没有文件）→ {images.directory}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    paths = export_paths(args.out)
    existing = [path.name for path in paths if path.is_file()]
    if args.if_missing and len(existing) == len(paths):
        print(
            f"{args.out} 中已有 moments.json、likes.json 和 comments.json，跳过生成（去掉 --if-missing 可重新生成）。"
        )
        return 0
    if args.if_missing and existing:
        print(f"{args.out} 中只有 {'、'.join(existing)}，将重新生成全部三个文件。")

    started = time.perf_counter()
    try:
        summary = generate(args.out, n_moments=args.moments, seed=args.seed, images=not args.no_images)
    except OSError as error:
        print(f"写入输出目录 {args.out} 失败：{error}。请检查路径和写权限。", file=sys.stderr)
        return 1

    print_summary(summary, args.seed, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
