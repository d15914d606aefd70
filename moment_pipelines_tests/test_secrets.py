"""The MongoDB password never reaches logs, errors, run config or metadata."""

from dagster import DagsterInstance, EnvVar, materialize

from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.resources import MongoSource
from moment_pipelines_tests.mongo_server import free_port

PASSWORD = "pw-7f3a9c-do-not-log"


def test_failed_run_never_shows_password(tmp_path, warehouse, monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("MOMENTS_MONGO_URI", f"mongodb://reader:{PASSWORD}@127.0.0.1:{port}/app?authSource=admin")
    source = MongoSource(uri=EnvVar("MOMENTS_MONGO_URI"), server_selection_timeout_ms=300, max_reconnects=0)

    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            raw_assets,
            resources={"source": source, "warehouse": warehouse},
            instance=instance,
            raise_on_error=False,
        )
        events = instance.all_logs(result.run_id)
        run = instance.get_run_by_id(result.run_id)

    event_text = "\n".join(str(event) for event in events)
    captured = capsys.readouterr()
    assert not result.success
    assert f"127.0.0.1:{port}" in event_text
    assert PASSWORD not in event_text
    assert PASSWORD not in str(run.run_config)
    assert PASSWORD not in captured.out
    assert PASSWORD not in captured.err
