"""Lineage-precise rebuilds after a feature definition changes, and the daily retraining schedule.

Both mechanisms run against the scenario 1 chain materialized once on the
small demo: the code-version sensor through its own evaluation, the
automation conditions through dagster.evaluate_automation_conditions.
"""

import dataclasses

import pytest
from dagster import (
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    SkipReason,
    build_sensor_context,
    evaluate_automation_conditions,
)

from moment_pipelines.assets.features import build_feature_asset
from moment_pipelines.automation import (
    automation_condition_sensor,
    code_version_sensor,
    daily_retraining_schedule,
    rebuild_selection,
)
from moment_pipelines.definitions import defs
from moment_pipelines.features import FEATURE_GROUPS

SCENARIO_ONE_GROUPS = ("moment_content_features", "moment_time_features", "author_history_features")
LIKE_COUNT_CHAIN = {AssetKey(name) for name in ("like_count_training_set", "like_count_model", "like_count_evaluation")}


def definitions_with_sql(materialized_demo, group_name: str | None = None) -> Definitions:
    """Return the materialized scenario 1 assets, with one feature group's SQL edited when `group_name` is given."""
    assets = list(materialized_demo.assets)
    if group_name is not None:
        group = FEATURE_GROUPS[group_name]
        edited = build_feature_asset(dataclasses.replace(group, sql=group.sql + "\n-- edited definition\n"))
        assets = [edited if AssetKey(group_name) in asset.keys else asset for asset in assets]
    return Definitions(
        assets=assets, sensors=[code_version_sensor, automation_condition_sensor], resources=materialized_demo.resources
    )


def requested_keys(result) -> set[AssetKey]:
    return {item.key for item in result.results if item.true_subset.size > 0}


def test_sensor_skips_when_nothing_changed(materialized_demo):
    context = build_sensor_context(instance=materialized_demo.instance, definitions=definitions_with_sql(materialized_demo))

    assert isinstance(code_version_sensor(context), SkipReason)


@pytest.mark.parametrize("group_name", SCENARIO_ONE_GROUPS)
def test_sensor_requests_changed_group_and_downstream(materialized_demo, group_name):
    definitions = definitions_with_sql(materialized_demo, group_name)
    context = build_sensor_context(instance=materialized_demo.instance, definitions=definitions)

    request = code_version_sensor(context)

    assert isinstance(request, RunRequest)
    assert set(request.asset_selection) == {AssetKey(group_name), *LIKE_COUNT_CHAIN}


def test_sensor_run_key_tracks_versions(materialized_demo):
    def run_key(group_name: str) -> str:
        definitions = definitions_with_sql(materialized_demo, group_name)
        context = build_sensor_context(instance=materialized_demo.instance, definitions=definitions)
        return code_version_sensor(context).run_key

    assert run_key("moment_time_features") == run_key("moment_time_features")
    assert run_key("moment_time_features") != run_key("author_history_features")


def test_rebuild_includes_missing_ancestors(materialized_demo):
    graph = definitions_with_sql(materialized_demo).resolve_asset_graph()
    recorded = {key: "v1" for key in graph.materializable_asset_keys}
    recorded[AssetKey("moment_time_features")] = None  # a group that was never materialized

    selection = rebuild_selection(graph, {AssetKey("like_count_training_set")}, recorded)

    assert selection == LIKE_COUNT_CHAIN | {AssetKey("moment_time_features")}


@pytest.mark.parametrize("group_name", SCENARIO_ONE_GROUPS)
def test_conditions_request_changed_group_and_downstream(materialized_demo, group_name):
    instance = materialized_demo.instance

    first_tick = evaluate_automation_conditions(defs=definitions_with_sql(materialized_demo), instance=instance)
    second_tick = evaluate_automation_conditions(
        defs=definitions_with_sql(materialized_demo, group_name), instance=instance, cursor=first_tick.cursor
    )
    third_tick = evaluate_automation_conditions(
        defs=definitions_with_sql(materialized_demo, group_name), instance=instance, cursor=second_tick.cursor
    )

    assert first_tick.total_requested == 0
    assert requested_keys(second_tick) == {AssetKey(group_name), *LIKE_COUNT_CHAIN}
    assert second_tick.total_requested == 4
    assert third_tick.total_requested == 0  # requested once, not again on every tick


def test_schedule_runs_daily_at_three_shanghai():
    assert daily_retraining_schedule.cron_schedule == "0 3 * * *"
    assert daily_retraining_schedule.execution_timezone == "Asia/Shanghai"
    assert daily_retraining_schedule.default_status == DefaultScheduleStatus.STOPPED


def test_schedule_job_rebuilds_everything_after_extraction():
    job = defs.resolve_job_def(daily_retraining_schedule.job_name)
    graph = defs.resolve_asset_graph()

    selected = job.asset_layer.selected_asset_keys
    assert AssetSelection.groups("raw").resolve(graph) <= selected
    assert {AssetKey("like_count_evaluation"), AssetKey("author_history_features")} <= selected


def test_sensors_start_stopped():
    assert code_version_sensor.default_status == DefaultSensorStatus.STOPPED
    assert automation_condition_sensor.default_status == DefaultSensorStatus.STOPPED
