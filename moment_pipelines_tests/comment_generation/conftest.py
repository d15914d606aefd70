"""Fixtures for the comment-generation tests: a tiny copy task, and the asset chain on the small demo."""

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from dagster import AssetKey, AssetSelection, DagsterInstance, ExecuteInProcessResult, materialize

from moment_pipelines.assets import all_assets
from moment_pipelines.assets.comment_generation.evaluation import EVALUATION_ASSET
from moment_pipelines.assets.comment_generation.pretrained import PRETRAINED_ASSET
from moment_pipelines.ml.comment_generation.data import CommentPairDataset
from moment_pipelines.ml.comment_generation.seq2seq import CommentSeq2Seq, Seq2SeqConfig
from moment_pipelines.ml.comment_generation.train import (
    Seq2SeqTrainConfig,
    Seq2SeqTrainingResult,
    evaluate_nll,
    perplexity,
    set_seed,
    train_seq2seq,
)
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.resources import ArtifactStore, ExportDirSource, Warehouse
from moment_pipelines_tests.comment_generation.tiny_models import write_tiny_gpt2

COPY_TOKENS = ["猫", "狗", "山", "海", "花", "树", "鱼", "鸟", "云", "雨"]


@dataclass
class CopyTask:
    """Moments are 3-6 random tokens and each comment repeats the moment's first two tokens."""

    vocabulary: Vocabulary
    train: CommentPairDataset
    validation: CommentPairDataset
    validation_moments: list[list[str]]
    model: CommentSeq2Seq
    result: Seq2SeqTrainingResult
    perplexity_before: float


def make_pairs(count: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    generator = random.Random(seed)
    moments = [[generator.choice(COPY_TOKENS) for _ in range(generator.randint(3, 6))] for _ in range(count)]
    return moments, [moment[:2] for moment in moments]


@pytest.fixture(scope="session")
def copy_task() -> CopyTask:
    torch.set_num_threads(1)
    train_moments, train_comments = make_pairs(300, seed=1)
    validation_moments, validation_comments = make_pairs(40, seed=2)
    vocabulary = Vocabulary.build(train_moments, tokenization="char", min_frequency=1)
    train = CommentPairDataset(train_moments, train_comments, vocabulary, max_source_tokens=8, max_target_tokens=4)
    validation = CommentPairDataset(validation_moments, validation_comments, vocabulary, max_source_tokens=8)

    set_seed(0)
    model = CommentSeq2Seq(Seq2SeqConfig(len(vocabulary), vocabulary.pad_id, embedding_dim=32, hidden_dim=64, dropout=0.0))
    perplexity_before = perplexity(*evaluate_nll(model, validation))
    result = train_seq2seq(
        model, train, validation, Seq2SeqTrainConfig(epochs=25, batch_size=16, learning_rate=1e-2, patience=25)
    )
    return CopyTask(vocabulary, train, validation, validation_moments, model, result, perplexity_before)


# Run config that keeps the chain on the small demo within seconds per asset.
SMALL_MODELS = {
    "comment_seq2seq_model": {
        "config": {"epochs": 2, "embedding_dim": 32, "hidden_dim": 64, "max_train_pairs": 0, "torch_threads": 1}
    },
    "comment_generation_evaluation": {
        "config": {"max_perplexity_pairs": 300, "max_generation_moments": 30, "sample_count": 5, "beam_size": 3}
    },
}


@dataclass
class CommentChain:
    home: Path  # DAGSTER_HOME of the persistent instance, for the command-line tests
    instance: DagsterInstance
    skipped_run: ExecuteInProcessResult  # the whole chain, pretrained stage not configured
    full_run: ExecuteInProcessResult  # pretrained stage fine-tuning the tiny GPT-2, then the evaluation again
    warehouse: Warehouse
    artifacts: ArtifactStore

    def _run_of(self, asset_name: str) -> ExecuteInProcessResult:
        return self.full_run if self.full_run.asset_materializations_for_node(asset_name) else self.skipped_run

    def metadata(self, asset_name: str, run: ExecuteInProcessResult | None = None) -> dict:
        """Return plain metadata values of the asset in `run`, by default its latest run of the two."""
        (materialization,) = (run or self._run_of(asset_name)).asset_materializations_for_node(asset_name)
        return {key: getattr(value.value, "path", value.value) for key, value in materialization.metadata.items()}

    def check(self, asset_name: str, check_name: str, run: ExecuteInProcessResult | None = None):
        (evaluation,) = [
            item
            for item in (run or self._run_of(asset_name)).get_asset_check_evaluations()
            if item.asset_key == AssetKey(asset_name) and item.check_name == check_name
        ]
        return evaluation

    def query(self, sql: str):
        with self.warehouse.get_connection() as con:
            return con.execute(sql).fetchdf()


def demo_texts(export_dir: Path) -> list[str]:
    texts = []
    for name, field in (("moments.json", "text"), ("comments.json", "content")):
        with open(export_dir / name, encoding="utf-8") as file:
            texts.extend(json.loads(line).get(field) or "" for line in file)
    return texts


def chain_assets():
    selected = AssetSelection.assets(EVALUATION_ASSET).upstream().resolve(all_assets)
    return [asset for asset in all_assets if asset.keys & selected]


@pytest.fixture(scope="session")
def chain(small_demo_dir, tmp_path_factory) -> CommentChain:
    """The chain run twice in one persistent instance: first with the pretrained stage skipped, then fine-tuning a tiny GPT-2."""
    torch.set_num_threads(1)
    directory = tmp_path_factory.mktemp("comment_chain")
    home = directory / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    model_dir = write_tiny_gpt2(directory / "tiny_gpt2", demo_texts(small_demo_dir))
    warehouse = Warehouse(database=str(directory / "warehouse.duckdb"))
    artifacts = ArtifactStore(root=str(directory / "artifacts"))
    resources = {"source": ExportDirSource(export_dir=str(small_demo_dir)), "warehouse": warehouse, "artifacts": artifacts}
    pretrained = {"config": {"pretrained_model_dir": str(model_dir), "max_train_pairs": 300, "batch_size": 16}}

    with DagsterInstance.from_config(str(home)) as instance:
        skipped_run = materialize(chain_assets(), instance=instance, resources=resources, run_config={"ops": SMALL_MODELS})
        full_run = materialize(
            [asset for asset in chain_assets() if asset.key.path[0] in (PRETRAINED_ASSET, EVALUATION_ASSET)],
            instance=instance,
            resources=resources,
            run_config={"ops": {EVALUATION_ASSET: SMALL_MODELS[EVALUATION_ASSET], PRETRAINED_ASSET: pretrained}},
        )
        assert skipped_run.success
        assert full_run.success
        yield CommentChain(home, instance, skipped_run, full_run, warehouse, artifacts)
