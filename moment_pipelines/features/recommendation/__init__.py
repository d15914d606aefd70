"""SQL that reads the recommendation graph's nodes and edges out of the warehouse.

These queries are not feature groups: each one returns rows that
`moment_pipelines.ml.recommendation.graph.build_graph` turns into the nodes
and edges of a torch-geometric HeteroData. Times are UTC milliseconds since
1970-01-01, the unit the graph stores.
"""

from pathlib import Path

_SQL_DIR = Path(__file__).parent

GRAPH_QUERIES = ("graph_moments", "graph_interactions", "graph_comment_places")


def graph_query(name: str) -> str:
    """Return the SQL text of graph query `name` (one of GRAPH_QUERIES)."""
    if name not in GRAPH_QUERIES:
        raise ValueError(f"unknown graph query {name!r}; expected one of {GRAPH_QUERIES}")
    return (_SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
