"""Scenario 3 assets materialized on the small demo: pairs, vocabulary, the three stages and the evaluation."""

import json
import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, Failure, materialize

from moment_pipelines.assets import all_assets
from moment_pipelines.assets.comment_generation.evaluation import EVALUATION_ASSET
from moment_pipelines.assets.comment_generation.pretrained import PRETRAINED_ASSET
from moment_pipelines.ml.comment_generation.checkpoint import load_checkpoint
from moment_pipelines.ml.comment_generation.cleaning import contains_personal_data
from moment_pipelines.ml.comment_generation.vocabulary import SPECIAL_TOKENS
from moment_pipelines.resources import ArtifactStore, ExportDirSource, Warehouse
from moment_pipelines.resources.artifacts import file_sha256
from moment_pipelines_tests.comment_generation.conftest import SMALL_MODELS, chain_assets

def test_pairs_split_by_comment_time(chain):
    bounds = chain.query("SELECT split, min(publish_time) AS first, max(publish_time) AS last FROM comment_pairs GROUP BY split")
    by_split = bounds.set_index("split")

    assert by_split.loc["train", "last"] <= by_split.loc["validation", "first"]
    assert by_split.loc["validation", "last"] <= by_split.loc["test", "first"]
    assert chain.check("comment_pairs", "splits_in_time_order").passed


def test_pairs_account_for_every_comment(chain):
    metadata = chain.metadata("comment_pairs", chain.skipped_run)
    excluded = sum(value for key, value in metadata.items() if key.startswith("excluded_"))

    assert metadata["dagster/row_count"] + excluded == metadata["comments_in_staging"]
    assert metadata["excluded_by_author"] > 0
    assert metadata["excluded_replies_to_commenters"] > 0


def test_pairs_are_top_level_comments(chain):
    wrong = chain.query(
        """
        SELECT count(*) AS rows FROM comment_pairs AS pairs
        JOIN stg_comments USING (comment_id) JOIN stg_moments AS moments ON moments.moment_id = pairs.moment_id
        WHERE stg_comments.uid = moments.uid OR stg_comments.to_uid <> moments.uid OR stg_comments.is_orphan
        """
    )

    assert wrong["rows"][0] == 0


def test_pairs_texts_are_clean(chain):
    pairs = chain.query("SELECT moment_text, comment_text, moment_tokens, comment_tokens FROM comment_pairs")

    assert not pairs["moment_text"].map(contains_personal_data).any()
    assert not pairs["comment_text"].map(contains_personal_data).any()
    assert (pairs["moment_tokens"].map(len) > 0).all()
    assert (pairs["comment_tokens"].map(len) > 0).all()
    assert not pairs["comment_text"].str.contains("哈哈哈哈").any()
    assert chain.check("comment_pairs", "no_personal_data").passed


def test_pairs_column_lineage(chain):
    lineage = chain.metadata("comment_pairs", chain.skipped_run)["dagster/column_lineage"].deps_by_column

    assert [dep.asset_key for dep in lineage["comment_text"]] == [AssetKey("stg_comments")]
    assert [dep.asset_key for dep in lineage["moment_tokens"]] == [AssetKey("stg_moments")]


def test_vocabulary_file_matches_metadata(chain):
    metadata = chain.metadata("comment_vocabulary")
    vocabulary = json.loads(Path(metadata["vocabulary_path"]).read_text(encoding="utf-8"))

    assert file_sha256(Path(metadata["vocabulary_path"])) == metadata["vocabulary_sha256"]
    assert vocabulary["tokens"][:4] == list(SPECIAL_TOKENS)
    assert len(vocabulary["tokens"]) == metadata["vocabulary_size"]


def test_model_checkpoint_holds_recorded_vocabulary(chain):
    metadata = chain.metadata("comment_seq2seq_model")
    vocabulary_metadata = chain.metadata("comment_vocabulary")
    _, vocabulary, checkpoint = load_checkpoint(Path(metadata["model_path"]))

    assert file_sha256(Path(metadata["model_path"])) == metadata["model_sha256"]
    assert checkpoint["vocabulary_sha256"] == vocabulary_metadata["vocabulary_sha256"]
    assert len(vocabulary) == vocabulary_metadata["vocabulary_size"]
    assert metadata["epochs_run"] == 2


def test_pretrained_skips_without_directory(chain):
    metadata = chain.metadata(PRETRAINED_ASSET, chain.skipped_run)

    assert metadata["skipped"] is True
    assert "MOMENTS_PRETRAINED_MODEL_DIR" in metadata["skip_reason"]
    assert "model_path" not in metadata


def test_skipped_stage_is_explained_in_report(chain):
    report = Path(chain.metadata(EVALUATION_ASSET, chain.skipped_run)["report_path"]).read_text(encoding="utf-8")

    assert "预训练阶段已跳过" in report
    assert "预训练模型（greedy）" not in report


def test_pretrained_stage_fine_tunes(chain):
    metadata = chain.metadata(PRETRAINED_ASSET)
    manifest = json.loads(Path(metadata["manifest_path"]).read_text(encoding="utf-8"))

    assert metadata["skipped"] is False
    assert metadata["model_class"] == "GPT2LMHeadModel"
    assert "model.safetensors" in manifest["files"]
    assert manifest["training_set_version"] == chain.metadata("comment_pairs", chain.skipped_run)["training_set_version"]


def test_evaluation_reports_every_stage(chain):
    metadata = chain.metadata(EVALUATION_ASSET)
    generation = metadata["generation_metrics"]

    for name in ("unigram", "bigram", "seq2seq", "pretrained"):
        assert metadata[f"perplexity_{name}"] > 1
    for name in ("frequency", "retrieval", "seq2seq_greedy", "seq2seq_beam", "seq2seq_sample", "pretrained_greedy", "pretrained_sample"):
        assert 0 <= generation[name]["bleu2"] <= 1
        assert generation[name]["with_personal_data"] == 0
    assert metadata["perplexity_bigram"] < metadata["perplexity_unigram"]


def test_evaluation_report_file(chain):
    metadata = chain.metadata(EVALUATION_ASSET)
    path = Path(metadata["report_path"])
    report = path.read_text(encoding="utf-8")

    assert file_sha256(path) == metadata["report_sha256"]
    assert report.startswith("# 场景 3：评论生成评估报告")
    for section in ("## 困惑度（perplexity）", "## 生成质量", "## 安全过滤", "## 生成样例（5 条）"):
        assert section in report
    assert "预训练模型（greedy）" in report
    assert chain.check(EVALUATION_ASSET, "generations_sanitized", chain.full_run).passed


def test_evaluation_rejects_changed_model(chain):
    path = Path(chain.metadata("comment_seq2seq_model")["model_path"])
    original = path.read_bytes()
    selected = [asset for asset in all_assets if AssetKey(EVALUATION_ASSET) in asset.keys]
    resources = {"warehouse": chain.warehouse, "artifacts": chain.artifacts}
    try:
        path.write_bytes(original + b"changed")
        with pytest.raises(Failure, match="sha256"):
            materialize(
                selected,
                instance=chain.instance,
                resources=resources,
                run_config={"ops": {EVALUATION_ASSET: SMALL_MODELS[EVALUATION_ASSET]}},
            )
    finally:
        path.write_bytes(original)


def test_data_without_comments_skips_chain(small_demo_dir, tmp_path):
    export_dir = tmp_path / "no_comments"
    export_dir.mkdir()
    for name in ("moments.json", "likes.json"):
        shutil.copy(small_demo_dir / name, export_dir / name)
    (export_dir / "comments.json").write_text("", encoding="utf-8")
    resources = {
        "source": ExportDirSource(export_dir=str(export_dir)),
        "warehouse": Warehouse(database=str(tmp_path / "warehouse.duckdb")),
        "artifacts": ArtifactStore(root=str(tmp_path / "artifacts")),
    }

    result = materialize(chain_assets(), resources=resources, run_config={"ops": SMALL_MODELS})
    materialized = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    (skipped_check,) = [
        item for item in result.get_asset_check_evaluations() if item.check_name == "splits_in_time_order"
    ]

    assert result.success
    assert "stg_comments" in materialized
    assert "comment_pairs" not in materialized
    assert EVALUATION_ASSET not in materialized
    assert "没有评论" in skipped_check.metadata["skipped"].value
