"""Scenario 2 assets on the small demo: candidates, training set, model, evaluation, and a pack without likes."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from dagster import AssetKey, AssetSelection, materialize

from moment_pipelines.assets.like_behavior.inputs import FEATURE_NAMES, INPUT_GROUPS
from moment_pipelines.definitions import defs
from moment_pipelines.ml.like_behavior.checkpoint import load_checkpoint, load_torchscript
from moment_pipelines.resources import ExportDirSource, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore, file_sha256
from moment_pipelines_tests.like_behavior.conftest import scenario_assets


def test_no_negative_is_a_liked_pair(like_behavior_demo):
    liked_negatives = like_behavior_demo.query(
        """
        SELECT count(*) AS n FROM like_behavior_candidates AS c
        JOIN stg_likes AS l USING (uid, moment_id)
        WHERE c.label = 0
        """
    )["n"][0]

    assert liked_negatives == 0
    assert like_behavior_demo.check("like_behavior_candidates", "no_liked_negatives").passed


def test_negatives_follow_sampling_rules(like_behavior_demo):
    counts = like_behavior_demo.query(
        """
        SELECT
            count(*) FILTER (WHERE c.label = 0 AND m.create_time >= c.event_time) AS created_after_event,
            count(*) FILTER (WHERE c.label = 0 AND m.uid = c.uid) AS own_moments,
            max(per_positive.negatives) AS max_negatives
        FROM like_behavior_candidates AS c
        JOIN stg_moments AS m USING (moment_id)
        JOIN (
            SELECT positive_id, count(*) FILTER (WHERE label = 0) AS negatives
            FROM like_behavior_candidates GROUP BY positive_id
        ) AS per_positive USING (positive_id)
        """
    ).iloc[0]

    assert counts["created_after_event"] == 0
    assert counts["own_moments"] == 0
    assert counts["max_negatives"] == 4


def test_every_source_contributes(like_behavior_demo):
    sources = set(like_behavior_demo.query("SELECT DISTINCT sample_source FROM like_behavior_candidates")["sample_source"])

    assert sources == {"like", "engaged_author", "same_province", "feed"}


def test_candidates_are_deterministic(like_behavior_demo):
    # Rebuild the candidates alone into a copy of the warehouse and compare row for row.
    copy_path = Path(like_behavior_demo.warehouse.database).with_name("copy.duckdb")
    shutil.copy(like_behavior_demo.warehouse.database, copy_path)
    candidates = next(asset for asset in scenario_assets() if AssetKey("like_behavior_candidates") in asset.keys)
    result = materialize([candidates], resources={"warehouse": Warehouse(database=str(copy_path))})
    query = "SELECT md5(string_agg(CAST(c AS VARCHAR), ',' ORDER BY event_time, uid, moment_id)) FROM like_behavior_candidates c"

    with Warehouse(database=str(copy_path)).get_connection() as con:
        rebuilt = con.execute(query).fetchone()[0]

    assert result.success
    assert rebuilt == like_behavior_demo.query(query).iloc[0, 0]


def test_training_set_depends_only_on_used_groups():
    parents = defs.resolve_asset_graph().get(AssetKey("like_behavior_training_set")).parent_keys

    assert parents == {AssetKey("like_behavior_candidates"), *(AssetKey(group) for group in INPUT_GROUPS)}


def test_training_set_splits_follow_time(like_behavior_demo):
    bounds = like_behavior_demo.query(
        "SELECT split, min(event_time) AS first, max(event_time) AS last FROM like_behavior_training_set GROUP BY split"
    ).set_index("split")

    assert bounds.loc["train", "last"] < bounds.loc["validation", "first"]
    assert bounds.loc["validation", "last"] < bounds.loc["test", "first"]
    assert like_behavior_demo.check("like_behavior_training_set", "splits_in_time_order").passed
    assert like_behavior_demo.check("like_behavior_training_set", "every_candidate_has_features").passed


def test_model_trains_and_reloads(like_behavior_demo):
    metadata = like_behavior_demo.metadata("like_behavior_model")
    path = Path(metadata["model_path"])

    model, checkpoint = load_checkpoint(path)
    scripted, specs = load_torchscript(Path(metadata["torchscript_path"]))
    raw = torch.tensor(like_behavior_demo.query("SELECT * FROM like_behavior_training_set LIMIT 64")[FEATURE_NAMES].to_numpy(), dtype=torch.float32)
    with torch.no_grad():
        probability = model(raw)
        scripted_probability = scripted(raw)

    assert file_sha256(path) == metadata["model_sha256"]
    assert metadata["best_validation_auc"] > 0.5
    assert checkpoint["training_set_version"] == like_behavior_demo.metadata("like_behavior_training_set")["training_set_version"]
    assert [spec.name for spec in specs] == FEATURE_NAMES
    assert torch.all((probability >= 0) & (probability <= 1))
    assert torch.allclose(probability, scripted_probability, atol=1e-6)


def test_logit_shift_undoes_pos_weight(like_behavior_demo):
    metadata = like_behavior_demo.metadata("like_behavior_model")
    model, _ = load_checkpoint(Path(metadata["model_path"]))

    assert float(model.logit_shift) == pytest.approx(-math.log(metadata["pos_weight"]), rel=1e-6)


def test_evaluation_reports_all_predictors(like_behavior_demo):
    metadata = like_behavior_demo.metadata("like_behavior_evaluation")
    report_path = Path(metadata["report_path"])

    for prefix in ("mlp", "popularity", "logistic_regression", "gradient_boosting"):
        for metric in ("roc_auc", "pr_auc", "log_loss"):
            assert np.isfinite(metadata[f"{prefix}_{metric}"]), f"{prefix}_{metric}"
    assert report_path.read_text(encoding="utf-8").startswith("# 场景 2")
    assert Path(metadata["reliability_plot_path"]).read_bytes().startswith(b"\x89PNG")
    assert set(json.loads(json.dumps(metadata["permutation_importance"]))) == set(FEATURE_NAMES)


def test_evaluation_loads_recorded_model(like_behavior_demo):
    model_metadata = like_behavior_demo.metadata("like_behavior_model")
    evaluation = like_behavior_demo.metadata("like_behavior_evaluation")

    assert evaluation["evaluated_model_sha256"] == model_metadata["model_sha256"]


def test_pack_without_likes_explains(small_demo_dir, tmp_path):
    export_dir = tmp_path / "no_likes"
    export_dir.mkdir()
    for name in ("moments.json", "comments.json"):
        shutil.copy(small_demo_dir / name, export_dir / name)
    (export_dir / "likes.json").write_text("", encoding="utf-8")
    resources = {
        "source": ExportDirSource(export_dir=str(export_dir)),
        "warehouse": Warehouse(database=str(tmp_path / "warehouse.duckdb")),
        "artifacts": ArtifactStore(root=str(tmp_path / "artifacts")),
    }
    selection = AssetSelection.assets("like_behavior_training_set").upstream()

    result = materialize(scenario_assets(), selection=selection, resources=resources)
    (candidates,) = result.asset_materializations_for_node("like_behavior_candidates")

    assert result.success
    assert candidates.metadata["positives"].value == 0
    assert "没有可用的点赞" in candidates.metadata["note"].value
    assert result.asset_materializations_for_node("like_behavior_training_set") == []
