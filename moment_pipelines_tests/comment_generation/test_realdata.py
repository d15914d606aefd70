"""Opt-in: the scenario 3 chain on real Weibo post-reply pairs (lccc-toy); the chain never reads likes, and the pack has none."""

import pytest
import torch
from dagster import DagsterInstance, materialize

from moment_pipelines.assets.comment_generation.evaluation import EVALUATION_ASSET
from moment_pipelines.resources import ArtifactStore, ExportDirSource, Warehouse
from moment_pipelines_tests.comment_generation.conftest import chain_assets
from moment_pipelines_tests.conftest import realdata_pack

# Small enough for a test run; bench/comment_generation.py measures the default configuration.
QUICK = {
    "comment_seq2seq_model": {
        "config": {"epochs": 1, "embedding_dim": 32, "hidden_dim": 64, "max_train_pairs": 2000, "torch_threads": 1}
    },
    "comment_generation_evaluation": {"config": {"max_perplexity_pairs": 300, "max_generation_moments": 20}},
}


@pytest.mark.realdata
def test_lccc_pairs_reach_every_stage(tmp_path):
    export_dir = realdata_pack("lccc-toy")
    torch.set_num_threads(1)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    resources = {
        "source": ExportDirSource(export_dir=str(export_dir)),
        "warehouse": Warehouse(database=str(tmp_path / "warehouse.duckdb")),
        "artifacts": ArtifactStore(root=str(tmp_path / "artifacts")),
    }

    with DagsterInstance.from_config(str(tmp_path)) as instance:
        result = materialize(chain_assets(), instance=instance, resources=resources, run_config={"ops": QUICK})

    def metadata(asset_name: str) -> dict:
        (materialization,) = result.asset_materializations_for_node(asset_name)
        return {key: value.value for key, value in materialization.metadata.items()}

    pairs = metadata("comment_pairs")
    evaluation = metadata(EVALUATION_ASSET)
    assert result.success
    assert pairs["dagster/row_count"] > 9_000
    assert pairs["excluded_by_author"] == 0
    assert metadata("comment_pretrained_model")["skipped"] is True
    for name in ("unigram", "bigram", "seq2seq"):
        assert evaluation[f"perplexity_{name}"] > 1
    for name in ("frequency", "retrieval", "seq2seq_greedy", "seq2seq_beam", "seq2seq_sample"):
        assert 0 <= evaluation[f"bleu2_{name}"] <= 1
