"""Automation: the daily retraining schedule and two ways to rebuild what a definition change affects.

Dagster (1.13) marks an asset "unsynced" when its code version differs from
the one recorded on its last materialization, but its downstream assets are
not flagged until the asset itself is rematerialized. The project offers two
mechanisms that rebuild a changed asset and everything downstream of it, and
nothing else:

- `code_version_sensor` compares code versions with the materialization
  records and requests one run with the changed assets and their downstream;
- `REBUILD_ON_CHANGE` is a declarative automation condition on the feature,
  training-set, model and evaluation assets, evaluated by
  `automation_condition_sensor`.

Both sensors start stopped. Turn on one of them, not both, or a change is
rebuilt twice.
"""

import hashlib

from dagster import (
    AssetKey,
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from moment_pipelines.execution import STEP_PROCESSES_CONFIG
from moment_pipelines.settings import LOCAL_TIMEZONE

RAW_GROUP = "raw"

# True when an upstream asset was updated (by a run that did not also rebuild
# this one), or when this asset's code version changed since the previous
# evaluation. `since_last_handled` keeps the code-version signal alive until
# the asset has been requested, so a tick that had to wait for a running
# upstream does not lose it.
REBUILD_ON_CHANGE = (
    AutomationCondition.eager()
    | (
        AutomationCondition.code_version_changed().since_last_handled()
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("code_version_changed_since_last_handled")
).with_label("rebuild_on_change")

daily_retraining_job = define_asset_job(
    name="daily_retraining_job",
    selection=AssetSelection.groups(RAW_GROUP).downstream(),
    description="每日重训：按水位线增量抽取新的动态、点赞和评论，再重建下游的清洗表、特征、训练集、模型和评估报告。",
    config={"execution": {"config": STEP_PROCESSES_CONFIG}},
)

daily_retraining_schedule = ScheduleDefinition(
    name="daily_retraining_schedule",
    job=daily_retraining_job,
    cron_schedule="0 3 * * *",
    execution_timezone=LOCAL_TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description="每天北京时间 03:00 运行 daily_retraining_job（增量抽取后重建全部下游 asset）。默认关闭，在 UI 的 Automation 页面打开。",
)

automation_condition_sensor = AutomationConditionSensorDefinition(
    name="automation_condition_sensor",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.STOPPED,
    description="声明式自动化：特征定义（SQL）改变或上游更新后，重建该 asset 及其下游。"
    "与 code_version_sensor 二选一，不要同时打开。",
)


def changed_assets(asset_graph, recorded_versions: dict[AssetKey, str | None]) -> set[AssetKey]:
    """Return the assets whose current code version differs from the one on their last materialization.

    `asset_graph` is the code location's graph (`context.repository_def.asset_graph`).
    Assets never materialized are not "changed": they have nothing recorded
    to compare with.
    """
    changed = set()
    for key, recorded in recorded_versions.items():
        current = asset_graph.get(key).code_version
        if recorded is not None and current is not None and recorded != current:
            changed.add(key)
    return changed


def rebuild_selection(
    asset_graph, changed: set[AssetKey], recorded_versions: dict[AssetKey, str | None]
) -> set[AssetKey]:
    """Return the changed assets, everything downstream of them, and their never-materialized ancestors.

    A run that rebuilds a training set which now reads a brand-new feature
    group must build that group first, so missing ancestors join the run.
    """
    selected = AssetSelection.assets(*changed).downstream().resolve(asset_graph)
    ancestors = AssetSelection.assets(*selected).upstream().resolve(asset_graph) - selected
    missing = {key for key in ancestors if key in recorded_versions and recorded_versions[key] is None}
    return selected | missing


@sensor(
    name="code_version_sensor",
    target=AssetSelection.all(),
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="比较每个 asset 当前的 code version 与其上次物化时记录的版本，"
    "把有变化的 asset 及其全部下游放进同一个 run 重建。与 automation_condition_sensor 二选一，不要同时打开。",
)
def code_version_sensor(context: SensorEvaluationContext):
    graph = context.repository_def.asset_graph
    versioned = [key for key in graph.materializable_asset_keys if graph.get(key).code_version is not None]
    recorded_versions = dict(context.instance.get_latest_materialization_code_versions(versioned))
    changed = changed_assets(graph, recorded_versions)
    if not changed:
        return SkipReason("所有已物化 asset 的 code version 都与上次物化时一致")

    selection = sorted(rebuild_selection(graph, changed, recorded_versions), key=lambda key: key.to_user_string())
    changes = sorted(f"{key.to_user_string()}={graph.get(key).code_version}" for key in changed)
    context.log.info(
        f"code version 变化：{', '.join(changes)}；请求重建 {len(selection)} 个 asset："
        + ", ".join(key.to_user_string() for key in selection)
    )
    # The same set of new versions gives the same run key, so later ticks do not
    # launch the rebuild again while it is running or after it failed.
    run_key = hashlib.sha256("\n".join(changes).encode("utf-8")).hexdigest()[:16]
    return RunRequest(
        run_key=run_key,
        asset_selection=selection,
        tags={"moment_pipelines/trigger": "code_version_changed"},
    )
