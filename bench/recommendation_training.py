"""Benchmark: scenario 5 graph building and LightGCN training time on CPU.

Steps, each timed:

1. raw and staging tables and the province table built from an export
   directory into a temporary DuckDB file (skipped with --warehouse, which
   must already contain stg_moments, stg_likes, stg_comments and
   province_coordinates);
2. the graph queries and `build_graph`;
3. one propagation step (forward and backward through `num_layers` LightGCN
   layers) over the training graph, three ways: PyG's LGConv on an
   edge_index, torch.sparse.mm on a CSR tensor, and the SymmetricSpmm the
   model uses (CSR, with the symmetric adjacency reused in backward);
4. training of the plain and the geo-aware model with the default
   configuration, printing each epoch's time, positives per second and
   validation Recall@20, then the test Recall@20.

The load average is printed next to the times, because the machine may be
shared. Torch uses `torch.get_num_threads()` threads.

Usage:
    .venv/bin/python bench/recommendation_training.py --export-dir /tmp/demo100k
    .venv/bin/python bench/recommendation_training.py --warehouse /tmp/w.duckdb --skip-adjacency
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from dagster import materialize
from torch_geometric.nn import LGConv
from tqdm import tqdm

from moment_pipelines.assets.like_behavior.provinces import province_coordinates
from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.assets.recommendation.graph import read_graph_tables
from moment_pipelines.assets.staging import staging_assets
from moment_pipelines.ml.recommendation.graph import GraphConfig, build_graph, cutoff_ms, graph_counts, snapshot
from moment_pipelines.ml.recommendation.metrics import recall_at_k
from moment_pipelines.ml.recommendation.model import MomentLightGCN, RecommenderConfig, SymmetricSpmm, prepare_inputs
from moment_pipelines.ml.recommendation.ranking import ranking_task
from moment_pipelines.ml.recommendation.train import TrainConfig, model_ranking, train_recommender
from moment_pipelines.resources import ExportDirSource, Warehouse

ADJACENCY_REPEATS = 5


def load_warehouse(export_dir: Path, directory: Path) -> Warehouse:
    warehouse = Warehouse(database=str(directory / "warehouse.duckdb"))
    result = materialize(
        [*raw_assets, *staging_assets, province_coordinates],
        resources={"source": ExportDirSource(export_dir=str(export_dir)), "warehouse": warehouse},
        raise_on_error=True,
    )
    if not result.success:
        raise SystemExit("导入原始表和清洗表失败")
    return warehouse


def time_propagation(inputs, num_layers: int, embedding_dim: int) -> dict[str, float]:
    """Return the median seconds of one forward+backward pass through the LightGCN layers, per implementation."""
    adjacency = inputs.adjacency
    coo = adjacency.to_sparse_coo().coalesce()
    edge_index, edge_weight = coo.indices(), coo.values()
    conv = LGConv(normalize=False)
    x = torch.randn(adjacency.shape[0], embedding_dim, requires_grad=True)
    implementations = {
        "LGConv + edge_index": lambda h: conv(h, edge_index, edge_weight),
        "torch.sparse.mm + CSR": lambda h: torch.sparse.mm(adjacency, h),
        "SymmetricSpmm + CSR": lambda h: SymmetricSpmm.apply(adjacency, h),
    }
    timings = {}
    for name, propagate in implementations.items():
        seconds = []
        for _ in range(ADJACENCY_REPEATS):
            started = time.perf_counter()
            h, layers = x, [x]
            for _ in range(num_layers):
                h = propagate(h)
                layers.append(h)
            torch.stack(layers).mean(dim=0).pow(2).sum().backward()
            seconds.append(time.perf_counter() - started)
            x.grad = None
        timings[name] = statistics.median(seconds)
    return timings


def train_and_test(graph, geo: bool) -> None:
    name = "地理感知 LightGCN" if geo else "LightGCN（不看地理）"
    recommender_config = RecommenderConfig(geo=geo)
    train_config = TrainConfig()
    model = MomentLightGCN(graph["user"].num_nodes, graph["cell"].num_nodes, recommender_config)
    progress = tqdm(total=train_config.epochs, desc=name, unit="轮")

    def on_epoch(stats) -> None:
        progress.update(1)
        progress.write(
            f"  第 {stats.epoch} 轮：{stats.seconds:.1f} 秒，{stats.samples_per_second:.0f} 正样本/秒，"
            f"验证 Recall@20 {stats.validation_recall:.4f}，负载 {os.getloadavg()[0]:.1f}"
        )

    started = time.perf_counter()
    result = train_recommender(model, graph, train_config, on_epoch=on_epoch)
    training_seconds = time.perf_counter() - started
    progress.close()

    epoch_seconds = [stats.seconds for stats in result.history]
    positives = sum(stats.positives for stats in result.history)
    test_ms = cutoff_ms(graph, "test")
    task = ranking_task(graph, test_ms, cutoff_ms(graph, "serving"), train_config.candidate_days)
    inputs = prepare_inputs(snapshot(graph, "test"), test_ms, recommender_config.history_days)
    positions, _, _ = model_ranking(model, inputs, task.users, task.candidates, task.excluded, 20)
    print(
        f"{name}：训练 {training_seconds:.1f} 秒（含每轮验证），{result.epochs_run} 轮，每轮训练中位数 {statistics.median(epoch_seconds):.1f} 秒，"
        f"{positives / sum(epoch_seconds):.0f} 正样本/秒；最佳轮 {result.best_epoch}，验证 Recall@20 {result.best_validation_recall:.4f}，"
        f"测试 Recall@20 {recall_at_k(positions, task.relevance, 20):.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="场景 5：推荐图构建和 LightGCN 训练的耗时基准（CPU）")
    parser.add_argument("--export-dir", type=Path, help="导出文件目录（moments / likes / comments）；与 --warehouse 二选一")
    parser.add_argument("--warehouse", type=Path, help="已含清洗表和 province_coordinates 的 DuckDB 文件")
    parser.add_argument("--skip-adjacency", action="store_true", help="跳过三种传播实现的对比")
    args = parser.parse_args()
    if (args.export_dir is None) == (args.warehouse is None):
        parser.error("请给出 --export-dir 或 --warehouse 之一")

    print(f"torch {torch.__version__}，{torch.get_num_threads()} 个线程，{os.cpu_count()} 个 CPU 核，负载 {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as temporary:
        if args.warehouse is not None:
            warehouse = Warehouse(database=str(args.warehouse))
        else:
            started = time.perf_counter()
            warehouse = load_warehouse(args.export_dir, Path(temporary))
            print(f"原始表和清洗表：{time.perf_counter() - started:.1f} 秒")

        started = time.perf_counter()
        graph = build_graph(read_graph_tables(warehouse), GraphConfig())
        print(f"推荐图：{time.perf_counter() - started:.1f} 秒，{graph_counts(graph)}")

    if not args.skip_adjacency:
        config = RecommenderConfig()
        validation_ms = cutoff_ms(graph, "validation")
        inputs = prepare_inputs(snapshot(graph, "validation"), validation_ms, config.history_days)
        print(f"传播图：{inputs.adjacency.shape[0]} 个节点，{inputs.adjacency.values().numel()} 个非零元")
        for name, seconds in time_propagation(inputs, config.num_layers, config.embedding_dim).items():
            print(f"  {name}：前向 + 反向 {seconds * 1000:.0f} 毫秒（{ADJACENCY_REPEATS} 次的中位数）")

    for geo in (False, True):
        train_and_test(graph, geo)


if __name__ == "__main__":
    main()
