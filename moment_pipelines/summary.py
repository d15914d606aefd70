"""Print what the last materialization of each asset produced (used by `make run`).

Reads the Dagster instance in DAGSTER_HOME, so it reports the same run
history and metadata that the UI shows.
"""

import sys

from dagster import DagsterInstance

from moment_pipelines.definitions import defs

# Metadata keys worth showing on the command line, in display order.
_SHOWN_KEYS = ("dagster/row_count", "rows_quarantined", "reconciliation", "report_path", "model_path")


def _format_value(value) -> str:
    raw = getattr(value, "value", value)
    if hasattr(raw, "path"):
        return str(raw.path)
    return str(raw)


def main() -> int:
    instance = DagsterInstance.get()
    asset_keys = sorted(defs.resolve_all_asset_keys(), key=lambda key: key.to_user_string())
    print("各 asset 最近一次物化的结果：")
    missing = 0
    for key in asset_keys:
        event = instance.get_latest_materialization_event(key)
        if event is None or event.asset_materialization is None:
            print(f"  {key.to_user_string()}: 尚未物化")
            missing += 1
            continue
        metadata = event.asset_materialization.metadata
        details = [f"{name}={_format_value(metadata[name])}" for name in _SHOWN_KEYS if name in metadata]
        print(f"  {key.to_user_string()}: " + ("；".join(details) if details else "已物化"))
    print("打开 UI 查看血缘和全部元数据：make dev，然后访问 http://127.0.0.1:3000")
    return 1 if missing == len(asset_keys) else 0


if __name__ == "__main__":
    sys.exit(main())
