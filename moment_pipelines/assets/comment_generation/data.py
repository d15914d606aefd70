"""Reading comment pairs out of the warehouse for the model and evaluation assets."""

import pandas as pd

from moment_pipelines.assets.comment_generation.pairs import PAIRS_TABLE
from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.resources import Warehouse

PAIR_COLUMNS = "comment_id, moment_id, publish_time, split, moment_text, comment_text, moment_tokens, comment_tokens"


def read_pairs(warehouse: Warehouse, splits: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    """Return the pairs of `splits` in time order and the table's fingerprint; the connection is closed after."""
    with warehouse.get_connection() as con:
        frame = con.execute(
            f"SELECT {PAIR_COLUMNS} FROM {PAIRS_TABLE} WHERE list_contains($splits, split) "
            "ORDER BY publish_time, comment_id",
            {"splits": list(splits)},
        ).fetchdf()
        fingerprint = table_fingerprint(con, PAIRS_TABLE, "comment_id")
    for column in ("moment_tokens", "comment_tokens"):
        frame[column] = frame[column].map(list)
    return frame, fingerprint


def most_recent(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Return the last `limit` rows of a time-ordered frame; 0 keeps every row."""
    return frame if limit <= 0 or len(frame) <= limit else frame.iloc[-limit:]
