"""Reading the scenario 4 training set and picture table into tensors, shared by the model and evaluation assets."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from dagster import AssetExecutionContext, AssetKey, Failure

from moment_pipelines.assets.moment_type.embeddings import EMBEDDINGS_TABLE
from moment_pipelines.assets.moment_type.images import IMAGES_TABLE
from moment_pipelines.assets.moment_type.training_set import FINGERPRINT_ORDER, SPLITS, TRAINING_SET_TABLE
from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.ml.moment_type.data import (
    MomentTypeSplit,
    PictureFeatures,
    PictureFiles,
    PictureTable,
    encode_texts,
    picture_slots,
)
from moment_pipelines.resources import Warehouse


def read_training_set(warehouse: Warehouse) -> tuple[pd.DataFrame, str]:
    """Read the whole training set into memory with its fingerprint; the connection is closed after."""
    with warehouse.get_connection() as con:
        frame = con.execute(
            f"SELECT moment_id, create_time, type, tokens, picture_hashes, no_usable_picture, split "
            f"FROM {TRAINING_SET_TABLE} ORDER BY {FINGERPRINT_ORDER}"
        ).fetchdf()
        fingerprint = table_fingerprint(con, TRAINING_SET_TABLE, FINGERPRINT_ORDER)
    return frame, fingerprint


def recorded_metadata(context: AssetExecutionContext, asset_name: str, *keys: str) -> dict:
    """Return the given metadata values of the asset's latest materialization, failing when one is missing."""
    event = context.instance.get_latest_materialization_event(AssetKey(asset_name))
    if event is None or event.asset_materialization is None:
        raise Failure(f"{asset_name} 还没有物化记录，请先物化它")
    metadata = event.asset_materialization.metadata
    missing = [key for key in keys if key not in metadata]
    if missing:
        raise Failure(f"{asset_name} 最近一次物化的 metadata 中没有 {missing}，请重新物化它")
    values = {key: metadata[key].value for key in keys}
    values["run_id"] = event.run_id
    return values


def read_picture_features(warehouse: Warehouse, identity: str) -> tuple[PictureFeatures | None, dict[str, int]]:
    """Return the embeddings of one backbone as a table and the row of each content hash; None when there are none."""
    with warehouse.get_connection() as con:
        rows = con.execute(
            f"SELECT content_sha256, embedding FROM {EMBEDDINGS_TABLE} WHERE backbone_identity = ? ORDER BY content_sha256",
            [identity],
        ).fetchall()
    if not rows:
        return None, {}
    features = torch.from_numpy(np.asarray([embedding for _, embedding in rows], dtype=np.float32))
    return PictureFeatures(features), {sha: row for row, (sha, _) in enumerate(rows)}


def read_picture_files(warehouse: Warehouse, image_size: int) -> tuple[PictureFiles | None, dict[str, int]]:
    """Return the cached resized pictures as a file table and the row of each content hash; None when there are none."""
    with warehouse.get_connection() as con:
        rows = con.execute(
            f"SELECT content_sha256, any_value(resized_path) FROM {IMAGES_TABLE} WHERE status = 'ok' "
            "GROUP BY content_sha256 ORDER BY content_sha256"
        ).fetchall()
    if not rows:
        return None, {}
    return PictureFiles([path for _, path in rows], image_size), {sha: row for row, (sha, _) in enumerate(rows)}


@dataclass
class Splits:
    by_name: dict[str, MomentTypeSplit]
    unknown_type_rows: dict[str, int]  # validation and test rows whose type never occurs in train, left out


def build_splits(
    frame: pd.DataFrame,
    vocabulary: Vocabulary,
    classes: list[int],
    table_rows: dict[str, int],
    max_tokens: int,
    max_pictures: int,
) -> Splits:
    """Turn the training-set frame into one MomentTypeSplit per split, labels as indices into `classes`."""
    class_index = {moment_type: index for index, moment_type in enumerate(classes)}
    by_name, unknown = {}, {}
    for split in SPLITS:
        rows = frame[frame["split"] == split]
        known = rows["type"].isin(class_index)
        unknown[split] = int((~known).sum())
        rows = rows[known]
        token_ids, lengths = encode_texts(rows["tokens"].tolist(), vocabulary, max_tokens)
        by_name[split] = MomentTypeSplit(
            token_ids=token_ids,
            lengths=lengths,
            picture_index=picture_slots(rows["picture_hashes"].tolist(), table_rows, max_pictures),
            label=torch.tensor([class_index[value] for value in rows["type"]], dtype=torch.int64),
        )
    return Splits(by_name, unknown)


def picture_table(
    warehouse: Warehouse, freeze_backbone: bool, identity: str, image_size: int
) -> tuple[PictureTable | None, dict[str, int]]:
    """Return embeddings for a frozen backbone, or the cached picture files for fine-tuning."""
    if freeze_backbone:
        return read_picture_features(warehouse, identity)
    return read_picture_files(warehouse, image_size)
