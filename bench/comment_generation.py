"""Benchmark: the scenario 3 chain (comment generation) on an export directory, timed per asset.

Materializes raw and staging moments and comments, then comment_pairs,
comment_vocabulary, the three model stages and comment_generation_evaluation
into a temporary warehouse, artifact store and Dagster instance. Prints the
wall time of every step, the training times, the perplexities and BLEU-2 of
every stage, the load average and the report path. Pass asset config as
JSON with --run-config, for example the tokenisation or a pretrained model
directory.

The load average and the process's CPU time are printed next to the wall
times, because the machine may be shared. On a busy machine the wall time
grows with the load, the CPU time much less. Torch uses
`torch.get_num_threads()` threads unless the sequence model's
`torch_threads` config sets another number.

Usage:
    .venv/bin/python bench/comment_generation.py --export-dir /tmp/demo100k
    .venv/bin/python bench/comment_generation.py --export-dir DIR \\
        --run-config '{"comment_pairs": {"config": {"tokenization": "char"}}}'
    .venv/bin/python bench/comment_generation.py --export-dir DIR --keep-dir /tmp/comment_run   # keep the files
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch
from dagster import AssetSelection, DagsterInstance, materialize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import print_description  # noqa: E402

from moment_pipelines.assets import all_assets
from moment_pipelines.assets.comment_generation.evaluation import EVALUATION_ASSET
from moment_pipelines.resources import ArtifactStore, ExportDirSource, Warehouse

SHOWN_METADATA = {
    "comment_pairs": ("dagster/row_count", "rows_train", "rows_validation", "rows_test", "tokenization"),
    "comment_vocabulary": ("vocabulary_size", "validation_comment_unknown_share"),
    "comment_retrieval_model": ("indexed_moments", "training_seconds"),
    "comment_seq2seq_model": ("rows_train", "parameter_count", "epochs_run", "best_epoch", "best_validation_perplexity", "training_seconds"),
    "comment_pretrained_model": ("skipped", "rows_train", "parameter_count", "training_seconds"),
}


def chain_assets() -> list:
    """Return the assets upstream of the evaluation, likes excluded (the chain never reads them)."""
    selected = AssetSelection.assets(EVALUATION_ASSET).upstream().resolve(all_assets)
    return [asset for asset in all_assets if asset.keys & selected]


def run(export_dir: Path, directory: Path, run_config: dict) -> None:
    home = directory / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    resources = {
        "source": ExportDirSource(export_dir=str(export_dir)),
        "warehouse": Warehouse(database=str(directory / "warehouse.duckdb")),
        "artifacts": ArtifactStore(root=str(directory / "artifacts")),
    }

    started = time.perf_counter()
    with DagsterInstance.from_config(str(home)) as instance:
        result = materialize(chain_assets(), instance=instance, resources=resources, run_config={"ops": run_config})
        total_seconds = time.perf_counter() - started

        print(f"物化完成：{'成功' if result.success else '失败'}，共 {total_seconds:.1f} 秒，DAGSTER_HOME={home}")
        for event in result.get_step_success_events():
            print(f"  {event.step_key}: {event.event_specific_data.duration_ms / 1000:.1f} 秒")
        for name, keys in SHOWN_METADATA.items():
            (materialization,) = result.asset_materializations_for_node(name)
            values = {key: getattr(materialization.metadata[key], "value", None) for key in keys if key in materialization.metadata}
            print(f"  {name}: " + ", ".join(f"{key}={value}" for key, value in values.items()))

        (evaluation,) = result.asset_materializations_for_node(EVALUATION_ASSET)
        metadata = {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}
        for key in sorted(metadata):
            if key.startswith("perplexity_") or key.startswith("bleu2_"):
                print(f"  {key}: {metadata[key]}")
        print(f"  seq2seq_beats_ngram_perplexity: {metadata['seq2seq_beats_ngram_perplexity']}")
        print(f"  report_path: {getattr(metadata['report_path'], 'path', metadata['report_path'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description="场景 3（评论生成）整条链路的耗时和指标")
    parser.add_argument("--export-dir", type=Path, required=True, help="包含 moments、likes、comments 导出文件的目录")
    parser.add_argument("--run-config", default="{}", help="各 asset 的配置（JSON，即 run_config 中 ops 下的内容）")
    parser.add_argument("--keep-dir", type=Path, default=None, help="保存仓库、产物和 Dagster 实例的目录；默认用临时目录并在结束后删除")
    arguments = parser.parse_args()

    print_description()
    print(f"torch threads: {torch.get_num_threads()}")
    run_config = json.loads(arguments.run_config)
    if arguments.keep_dir is not None:
        run(arguments.export_dir, arguments.keep_dir, run_config)
    else:
        with tempfile.TemporaryDirectory(prefix="comment_generation_") as directory:
            run(arguments.export_dir, Path(directory), run_config)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"CPU time of this process: user {usage.ru_utime:.0f} s, system {usage.ru_stime:.0f} s")
    print(f"load average after the run: {', '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
