"""Scenario 1 assets: training set, model and evaluation, on the materialized small demo and hand-made tables."""

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pytest
import torch
from dagster import AssetKey, materialize

from moment_pipelines.assets.like_count import like_count_evaluation
from moment_pipelines.assets.like_count.inputs import FEATURE_NAMES, INPUT_GROUPS, LIKE_COUNT_INPUTS, training_set_sql
from moment_pipelines.assets.like_count.report import (
    AUTHOR_MEAN,
    GLOBAL_MEAN,
    GRADIENT_BOOSTING,
    MLP,
    Scores,
    build_report,
)
from moment_pipelines.definitions import defs
from moment_pipelines.features import FEATURE_GROUPS
from moment_pipelines.ml import load_checkpoint, load_torchscript, predict
from moment_pipelines.resources.artifacts import file_sha256

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def read_table(materialized_demo, query: str):
    with materialized_demo.warehouse.get_connection() as con:
        return con.execute(query).fetchdf()


def test_training_set_depends_only_on_used_groups():
    parents = defs.resolve_asset_graph().get(AssetKey("like_count_training_set")).parent_keys

    assert parents == {AssetKey("stg_moments"), *(AssetKey(group) for group in INPUT_GROUPS)}
    assert set(INPUT_GROUPS) == {"moment_content_features", "moment_time_features", "author_history_features"}


def test_training_set_splits_follow_time(materialized_demo):
    frame = read_table(materialized_demo, "SELECT split, create_time FROM like_count_training_set")
    bounds = frame.groupby("split")["create_time"].agg(["min", "max", "count"])
    total = int(bounds["count"].sum())

    assert bounds.loc["train", "max"] <= bounds.loc["validation", "min"]
    assert bounds.loc["validation", "max"] <= bounds.loc["test", "min"]
    assert bounds.loc["train", "count"] == pytest.approx(0.8 * total, abs=1)
    assert bounds.loc["validation", "count"] == pytest.approx(0.1 * total, abs=1)
    assert materialized_demo.check("like_count_training_set", "splits_in_time_order").passed


def test_young_moments_never_in_training_set(materialized_demo):
    young = read_table(
        materialized_demo,
        """
        SELECT moment_id FROM stg_moments
        WHERE create_time > (SELECT max(create_time) FROM stg_moments) - INTERVAL 3 DAYS
        """,
    )
    kept = read_table(materialized_demo, "SELECT moment_id FROM like_count_training_set")

    assert len(young) > 0
    assert set(young["moment_id"]).isdisjoint(kept["moment_id"])
    assert materialized_demo.metadata("like_count_training_set")["excluded_label_not_matured"] == len(young)
    assert materialized_demo.check("like_count_training_set", "labels_matured").passed


def test_training_set_label_is_log1p(materialized_demo):
    frame = read_table(materialized_demo, "SELECT like_count, label FROM like_count_training_set")

    np.testing.assert_allclose(frame["label"], np.log1p(frame["like_count"]), rtol=1e-12)


def test_training_set_column_lineage(materialized_demo):
    lineage = materialized_demo.metadata("like_count_training_set")["dagster/column_lineage"].deps_by_column

    for model_input in LIKE_COUNT_INPUTS:
        (dep,) = lineage[model_input.column]
        assert dep.asset_key == AssetKey(model_input.group)
        assert dep.column_name == model_input.column
    assert [dep.column_name for dep in lineage["label"]] == ["like_count"]
    assert lineage["label"][0].asset_key == AssetKey("stg_moments")


def small_training_set(min_label_age_days: float) -> set[int]:
    """Build the training set from ten hand-made moments and return the moment ids it keeps."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        """
        CREATE TABLE stg_moments AS
        SELECT
            i AS moment_id, i % 2 AS uid, 1 AS type, 'text' AS text, []::VARCHAR[] AS pics, i AS like_count,
            $t0 + to_days(CAST(i AS INTEGER)) AS create_time, 0 AS pic_count, false AS has_pics,
            12 AS create_hour_local, 3 AS create_weekday_local
        FROM range(1, 11) AS r(i)
        """,
        {"t0": T0},
    )
    for group in INPUT_GROUPS:
        con.execute(FEATURE_GROUPS[group].sql)
    con.execute(
        training_set_sql(),
        {"label_age_seconds": min_label_age_days * 86400, "validation_fraction": 0.1, "test_fraction": 0.1},
    )
    return {row[0] for row in con.execute("SELECT moment_id FROM like_count_training_set").fetchall()}


def test_label_age_cutoff_on_small_table():
    # Moments 1..10 are created on days 1..10. Moments 1-3 have no moment at least 3 days
    # older, so no settled platform history, and their features are incomplete.
    assert small_training_set(min_label_age_days=3) == {4, 5, 6, 7}
    assert small_training_set(min_label_age_days=0) == {4, 5, 6, 7, 8, 9, 10}
    assert small_training_set(min_label_age_days=1.5) == {4, 5, 6, 7, 8}


def test_model_checkpoint_matches_metadata(materialized_demo):
    metadata = materialized_demo.metadata("like_count_model")
    path = Path(metadata["model_path"])

    assert path.is_relative_to(Path(materialized_demo.artifacts.root) / "like_count_model")
    assert file_sha256(path) == metadata["model_sha256"]
    assert path.stat().st_size == metadata["model_size_bytes"]
    assert file_sha256(Path(metadata["torchscript_path"])) == metadata["torchscript_sha256"]


def test_model_loss_decreases(materialized_demo):
    metadata = materialized_demo.metadata("like_count_model")
    _, checkpoint = load_checkpoint(Path(metadata["model_path"]))
    history = checkpoint["history"]

    assert len(history) == metadata["epochs_run"]
    assert metadata["best_validation_loss"] < history[0]["validation_loss"] / 2
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert metadata["best_validation_loss"] == min(entry["validation_loss"] for entry in history)


def test_model_records_training_set_version(materialized_demo):
    model_metadata = materialized_demo.metadata("like_count_model")
    training_set_metadata = materialized_demo.metadata("like_count_training_set")
    (materialization,) = materialized_demo.result.asset_materializations_for_node("like_count_training_set")

    assert model_metadata["training_set_version"] == training_set_metadata["training_set_version"]
    assert materialization.tags["dagster/data_version"] == training_set_metadata["training_set_version"]


def test_model_loss_curve_is_png(materialized_demo):
    metadata = materialized_demo.metadata("like_count_model")

    assert Path(metadata["loss_curve_path"]).read_bytes().startswith(b"\x89PNG")
    assert "data:image/png;base64," in metadata["loss_curve"]


@pytest.fixture(scope="module")
def test_split(materialized_demo):
    frame = read_table(materialized_demo, "SELECT * FROM like_count_training_set WHERE split = 'test'")
    return torch.tensor(frame[FEATURE_NAMES].to_numpy(dtype=np.float32)), frame["like_count"].to_numpy()


def test_reloaded_model_reproduces_evaluation(materialized_demo, test_split):
    features, actual = test_split
    model, _ = load_checkpoint(Path(materialized_demo.metadata("like_count_model")["model_path"]))

    predicted = predict(model, features).numpy().astype(np.float64)
    mae_log = float(np.mean(np.abs(np.log1p(predicted) - np.log1p(actual))))

    assert mae_log == pytest.approx(materialized_demo.metadata("like_count_evaluation")["mlp_mae_log"], rel=1e-9)


def test_torchscript_matches_checkpoint(materialized_demo, test_split):
    features, _ = test_split
    metadata = materialized_demo.metadata("like_count_model")
    model, checkpoint = load_checkpoint(Path(metadata["model_path"]))
    scripted, specs = load_torchscript(Path(metadata["torchscript_path"]))

    with torch.no_grad():
        torch.testing.assert_close(scripted(features), model(features), rtol=0, atol=1e-6)
    assert [spec.name for spec in specs] == FEATURE_NAMES
    assert [spec["name"] for spec in checkpoint["features"]] == FEATURE_NAMES


def test_evaluation_uses_recorded_model(materialized_demo):
    evaluation = materialized_demo.metadata("like_count_evaluation")
    model = materialized_demo.metadata("like_count_model")

    assert evaluation["evaluated_model_path"] == model["model_path"]
    assert evaluation["evaluated_model_sha256"] == model["model_sha256"]
    assert evaluation["training_set_version"] == model["training_set_version"]


def test_evaluation_metrics_are_finite(materialized_demo):
    evaluation = materialized_demo.metadata("like_count_evaluation")

    for prefix in ("mlp", "global_mean", "author_mean", "gradient_boosting"):
        for metric in ("mae_log", "rmse_log", "mae_raw", "rmse_raw"):
            assert math.isfinite(evaluation[f"{prefix}_{metric}"]), f"{prefix}_{metric}"
            assert evaluation[f"{prefix}_{metric}"] > 0
        assert evaluation[f"{prefix}_rmse_log"] >= evaluation[f"{prefix}_mae_log"]
    assert math.isnan(evaluation["global_mean_spearman"])
    assert -1 <= evaluation["mlp_spearman"] <= 1


def test_evaluation_check_agrees_with_metrics(materialized_demo):
    evaluation = materialized_demo.metadata("like_count_evaluation")
    check = materialized_demo.check("like_count_evaluation", "mlp_beats_author_mean")

    assert check.passed == (evaluation["mlp_mae_log"] < evaluation["author_mean_mae_log"])


def test_evaluation_report_file(materialized_demo):
    evaluation = materialized_demo.metadata("like_count_evaluation")
    report = Path(evaluation["report_path"]).read_text(encoding="utf-8")

    assert report == evaluation["report"]
    for phrase in ("MAE（对数尺度）", "RMSE（点赞数）", "Spearman", "作者历史均值基线", "按真实点赞数分桶"):
        assert phrase in report, phrase
    assert evaluation["evaluated_model_sha256"] in report


def test_evaluation_rejects_changed_model_file(materialized_demo):
    path = Path(materialized_demo.metadata("like_count_model")["model_path"])
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\0")
        result = materialize(
            [like_count_evaluation],
            instance=materialized_demo.instance,
            resources=materialized_demo.resources,
            raise_on_error=False,
        )
    finally:
        path.write_bytes(original)

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "sha256" in failure.step_failure_data.error.message


def scores(mae_log: float) -> Scores:
    return Scores(mae_log=mae_log, rmse_log=mae_log * 1.3, mae_raw=5.0, rmse_raw=9.0, spearman=0.4)


def test_report_says_when_mlp_loses():
    report = build_report(
        scores={MLP: scores(0.9), GLOBAL_MEAN: scores(1.0), AUTHOR_MEAN: scores(0.8), GRADIENT_BOOSTING: scores(0.7)},
        buckets=[],
        test_rows=10,
        test_period="2025-06-01 至 2025-06-02",
        model_path="/tmp/model.pt",
        model_sha256="abc",
        model_run_id="run",
        training_set_version="v1",
        best_epoch=3,
    )

    assert "MLP 没有超过作者历史均值基线" in report
    assert "HistGradientBoosting 基线" in report.split("## 评估对象")[0]  # named as the best model
