"""The command-line generator reads the model that the latest materialization recorded."""

from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from moment_pipelines.assets.comment_generation.pretrained import comment_pretrained_model
from moment_pipelines.generate_comment import build_parser, main
from moment_pipelines.resources import ArtifactStore, Warehouse


def run(arguments: list[str], capsys) -> tuple[int, str, str]:
    code = main(arguments)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("model", ["seq2seq", "retrieval", "frequency", "pretrained"])
def test_generates_with_each_model(chain, capsys, model):
    code, out, err = run(["今天天气真好", "--model", model, "--dagster-home", str(chain.home)], capsys)

    assert code == 0, err
    assert len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("strategy", ["greedy", "beam", "sample"])
def test_each_strategy_writes_comments(chain, capsys, strategy):
    arguments = ["周末去爬山", "--strategy", strategy, "--num", "3", "--dagster-home", str(chain.home)]

    code, out, err = run(arguments, capsys)

    assert code == 0, err
    assert len(out.strip().splitlines()) == 3


def test_several_texts_are_labelled(chain, capsys):
    code, out, _ = run(["今天天气真好", "晚上吃火锅", "--dagster-home", str(chain.home)], capsys)

    assert code == 0
    assert "【今天天气真好】" in out
    assert "【晚上吃火锅】" in out


def test_changed_model_file_is_rejected(chain, capsys):
    path = Path(chain.metadata("comment_seq2seq_model")["model_path"])
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"changed")
        code, _, err = run(["今天天气真好", "--dagster-home", str(chain.home)], capsys)
    finally:
        path.write_bytes(original)

    assert code == 1
    assert "sha256" in err
    assert err.startswith("错误：")


def test_missing_instance_explains(tmp_path, capsys):
    code, out, err = run(["今天天气真好", "--dagster-home", str(tmp_path / "absent")], capsys)

    assert code == 1
    assert out == ""
    assert "还没有物化过任何模型" in err


def test_unmaterialized_model_explains(tmp_path, capsys):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")

    code, _, err = run(["今天天气真好", "--dagster-home", str(tmp_path)], capsys)

    assert code == 1
    assert "comment_seq2seq_model 尚未物化" in err


def test_skipped_pretrained_stage_explains(tmp_path, capsys):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    resources = {
        "warehouse": Warehouse(database=str(tmp_path / "warehouse.duckdb")),
        "artifacts": ArtifactStore(root=str(tmp_path / "artifacts")),
    }
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert materialize([comment_pretrained_model], instance=instance, resources=resources).success

    code, _, err = run(["今天天气真好", "--model", "pretrained", "--dagster-home", str(tmp_path)], capsys)

    assert code == 1
    assert "被跳过" in err
    assert "MOMENTS_PRETRAINED_MODEL_DIR" in err


def test_text_without_content_is_rejected(chain, capsys):
    code, _, err = run(["@小明 http://t.cn/x", "--dagster-home", str(chain.home)], capsys)

    assert code == 1
    assert "清洗后为空" in err


def test_invalid_decoding_option_is_rejected(chain, capsys):
    code, _, err = run(["今天天气真好", "--top-p", "1.5", "--dagster-home", str(chain.home)], capsys)

    assert code == 1
    assert "解码参数无效" in err


def test_help_is_chinese():
    help_text = build_parser().format_help()

    assert "解码策略" in help_text
    assert "显示本帮助并退出" in help_text
