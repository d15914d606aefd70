"""The one place where assets, checks, resources and jobs become a Definitions object."""

from dagster import AssetSelection, Definitions, EnvVar, define_asset_job

from moment_pipelines.assets import all_assets
from moment_pipelines.automation import (
    automation_condition_sensor,
    code_version_sensor,
    daily_retraining_job,
    daily_retraining_schedule,
)
from moment_pipelines.execution import STEP_PROCESSES_CONFIG
from moment_pipelines.resources import ArtifactStore, ExportDirSource, ImageStore, MomentSource, MongoSource, Warehouse
from moment_pipelines.settings import MONGO_DB_VAR, MONGO_URI_VAR, Settings, load_settings

main_job = define_asset_job(
    name="main_job",
    selection=AssetSelection.all(),
    description="物化整张资产图：抽取原始数据、清洗，并依次构建特征、训练集、模型和评估报告。",
    config={
        "execution": {"config": STEP_PROCESSES_CONFIG},
        # The console shows INFO and above; the UI keeps every event, DEBUG included.
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    },
)


def build_source(settings: Settings) -> MomentSource:
    """Pick MongoDB when MOMENTS_MONGO_URI is set, else the export directory."""
    if settings.uses_mongo:
        return MongoSource(
            uri=EnvVar(MONGO_URI_VAR),
            database=EnvVar(MONGO_DB_VAR) if settings.mongo_database else None,
        )
    return ExportDirSource(
        export_dir=str(settings.export_dir),
        generate_demo_if_missing=settings.export_dir_is_default,
    )


def build_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=all_assets,
        jobs=[main_job, daily_retraining_job],
        schedules=[daily_retraining_schedule],
        sensors=[code_version_sensor, automation_condition_sensor],
        resources={
            "source": build_source(settings),
            "warehouse": Warehouse(database=str(settings.warehouse_path)),
            "artifacts": ArtifactStore(root=str(settings.artifacts_dir)),
            "images": ImageStore(
                mirror_dir=str(settings.image_mirror_dir),
                cache_dir=str(settings.image_cache_dir),
                http_enabled=settings.image_http_enabled,
            ),
        },
    )


defs = build_definitions(load_settings())
