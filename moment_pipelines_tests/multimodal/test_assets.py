"""Scenario 4 assets on the small demo: pictures, embeddings, training set, model, evaluation, and data without pictures."""

import json
import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, AssetSelection, instance_for_test, materialize

from moment_pipelines.definitions import defs
from moment_pipelines.ml.moment_type.checkpoint import load_checkpoint
from moment_pipelines.resources.artifacts import file_sha256
from moment_pipelines_tests.conftest import realdata_pack
from moment_pipelines_tests.multimodal.conftest import TEST_RUN_CONFIG, run_chain, scenario_assets

SCENARIO_ASSETS = (
    "moment_type_images",
    "moment_type_image_embeddings",
    "moment_type_training_set",
    "moment_type_model",
    "moment_type_evaluation",
)


def test_every_failure_path_recorded(moment_type_demo):
    counts = moment_type_demo.query("SELECT status, reason, count(*) AS n FROM moment_type_images GROUP BY ALL")
    by_reason = {row.reason: row.n for row in counts.itertuples() if row.status == "failed"}
    metadata = moment_type_demo.metadata("moment_type_images")

    assert set(by_reason) == {"decode_error", "not_in_mirror"}
    assert metadata["urls_failed"] == sum(by_reason.values())
    assert metadata["failed_decode_error"] == by_reason["decode_error"]
    assert metadata["urls_ok"] + metadata["urls_failed"] == metadata["urls"]
    assert metadata["distinct_pictures"] < metadata["urls_ok"]


def test_ok_pictures_have_cached_file(moment_type_demo):
    rows = moment_type_demo.query("SELECT resized_path FROM moment_type_images WHERE status = 'ok'")

    assert len(rows) > 0
    assert all(Path(path).is_file() for path in rows["resized_path"])


def test_flagged_moments_match_images(moment_type_demo):
    flagged = moment_type_demo.query(
        """
        SELECT count(*) AS n FROM moment_type_training_set AS t
        WHERE t.no_usable_picture AND t.usable_pictures = 0 AND t.pic_count > 0
        """
    )["n"][0]
    metadata = moment_type_demo.metadata("moment_type_training_set")

    assert flagged > 0
    assert metadata["moments_flagged_no_usable_picture"] == flagged
    assert moment_type_demo.metadata("moment_type_images")["moments_without_usable_picture"] == flagged


def test_embeddings_once_per_content(moment_type_demo):
    metadata = moment_type_demo.metadata("moment_type_image_embeddings")
    distinct = moment_type_demo.query(
        "SELECT count(DISTINCT content_sha256) AS n FROM moment_type_images WHERE status = 'ok'"
    )["n"][0]

    assert metadata["embedded_now"] == distinct
    assert metadata["dagster/row_count"] == distinct
    assert metadata["weights_source"] == "random_init"
    assert "随机初始化" in metadata["weights_note"]


def test_embeddings_reused_on_rerun(moment_type_demo):
    (embeddings,) = [asset for asset in scenario_assets() if AssetKey("moment_type_image_embeddings") in asset.keys]
    result = materialize(
        [embeddings],
        instance=moment_type_demo.instance,
        resources=moment_type_demo.resources,
        run_config={"ops": {"moment_type_image_embeddings": TEST_RUN_CONFIG["ops"]["moment_type_image_embeddings"]}},
    )
    (materialization,) = result.asset_materializations_for_node("moment_type_image_embeddings")
    metadata = {key: value.value for key, value in materialization.metadata.items()}

    assert metadata["embedded_now"] == 0
    assert metadata["reused"] == moment_type_demo.metadata("moment_type_image_embeddings")["distinct_pictures"]


def test_training_set_split_by_time(moment_type_demo):
    bounds = moment_type_demo.query(
        "SELECT split, min(create_time) AS first, max(create_time) AS last FROM moment_type_training_set GROUP BY split"
    ).set_index("split")

    assert bounds.loc["train", "last"] <= bounds.loc["validation", "first"]
    assert bounds.loc["validation", "last"] <= bounds.loc["test", "first"]
    assert moment_type_demo.check("moment_type_training_set", "splits_in_time_order").passed


def test_model_checkpoint_matches_metadata(moment_type_demo):
    metadata = moment_type_demo.metadata("moment_type_model")
    path = Path(metadata["model_path"])
    model, vocabulary, checkpoint = load_checkpoint(path)

    assert file_sha256(path) == metadata["model_sha256"]
    assert metadata["modalities"] == "text+image"
    assert checkpoint["classes"] == [1, 2, 3, 4, 5]
    assert model.config.use_image
    assert len(vocabulary) == metadata["vocabulary_size"]
    assert len(metadata["epoch_history"]) == metadata["epochs_run"]
    assert metadata["samples_per_second"] > 0


def test_evaluation_reports_all_models(moment_type_demo):
    metadata = moment_type_demo.metadata("moment_type_evaluation")
    report = Path(metadata["report_path"]).read_text(encoding="utf-8")

    for prefix in ("fused", "text_only", "image_only"):
        assert 0 <= metadata[f"{prefix}_macro_f1"] <= 1, prefix
        assert 0 <= metadata[f"{prefix}_accuracy"] <= 1, prefix
        assert set(metadata[f"{prefix}_per_class_f1"]) == {"1", "2", "3", "4", "5"}, prefix
    assert metadata["confusion_matrix"].startswith("![混淆矩阵](data:image/png;base64,")
    assert Path(metadata["confusion_matrix_plot_path"]).stat().st_size > 0
    assert "## 融合模型与消融实验" in report
    assert file_sha256(Path(metadata["report_path"])) == metadata["report_sha256"]
    assert metadata["evaluated_model_sha256"] == moment_type_demo.metadata("moment_type_model")["model_sha256"]


def test_fusion_check_is_a_warning(moment_type_demo):
    evaluation = moment_type_demo.check("moment_type_evaluation", "fused_at_least_ablations")
    metadata = moment_type_demo.metadata("moment_type_evaluation")

    assert evaluation.severity.value == "WARN"
    assert evaluation.passed == (metadata["fused_macro_f1"] >= max(metadata["text_only_macro_f1"], metadata["image_only_macro_f1"]))


def test_jobs_include_scenario():
    main_job = defs.resolve_job_def("main_job")
    daily = defs.resolve_job_def("daily_retraining_job")
    for name in SCENARIO_ASSETS:
        assert AssetKey(name) in main_job.asset_layer.selected_asset_keys, name
        assert AssetKey(name) in daily.asset_layer.selected_asset_keys, name


def test_no_pictures_trains_text_only(no_pictures_dir, tmp_path, empty_torch_home):
    with instance_for_test() as instance:
        run = run_chain(no_pictures_dir, tmp_path, instance)

        images = run.metadata("moment_type_images")
        model = run.metadata("moment_type_model")
        evaluation = run.metadata("moment_type_evaluation")
        check = run.check("moment_type_evaluation", "fused_at_least_ablations")

    assert images["urls"] == 0
    assert "没有任何图片" in images["note"]
    assert model["modalities"] == "text"
    assert "text-only" in model["note"]
    assert "text_only_macro_f1" not in evaluation
    assert "image_only_macro_f1" not in evaluation
    assert "没有可用图片" in evaluation["note"]
    assert check.passed
    assert "skipped" in check.metadata


@pytest.mark.realdata
def test_weibo_hot_runs_text_only(tmp_path, empty_torch_home):
    pack = realdata_pack("weibo-hot")
    with instance_for_test() as instance:
        run = run_chain(pack, tmp_path, instance)

        model = run.metadata("moment_type_model")
        evaluation = run.metadata("moment_type_evaluation")

    assert run.metadata("moment_type_images")["urls"] == 0
    assert model["modalities"] == "text"
    assert len(model["classes"]) > 2
    assert 0 <= evaluation["fused_macro_f1"] <= 1
    assert "没有可用图片" in evaluation["note"]


def test_single_type_skips_model(small_demo_dir, tmp_path, empty_torch_home):
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    with open(small_demo_dir / "moments.json", encoding="utf-8") as source:
        moments = [json.loads(line) | {"type": 1} for line in source]
    (export_dir / "moments.json").write_text(
        "".join(json.dumps(moment, ensure_ascii=False) + "\n" for moment in moments), encoding="utf-8"
    )
    for name in ("likes.json", "comments.json"):
        (export_dir / name).write_bytes((small_demo_dir / name).read_bytes())
    shutil.copytree(small_demo_dir / "images", export_dir / "images")

    with instance_for_test() as instance:
        run = run_chain(export_dir, tmp_path / "run", instance)
        materialized = {event.asset_key.to_user_string() for event in run.result.get_asset_materialization_events()}
        skipped_check = run.check("moment_type_training_set", "splits_in_time_order")

    assert "moment_type_images" in materialized
    assert "moment_type_training_set" not in materialized
    assert "moment_type_model" not in materialized
    assert "moment_type_evaluation" not in materialized
    assert "train 中只有 1 种 type" in skipped_check.metadata["skipped"].value
