"""The moment graph: users, moments and places as a torch-geometric HeteroData with timed edges.

Node types and their attributes:

    user     uid [U]; home_cell [U, len(CUTOFFS)]: the user's home cell at each
             cutoff, -1 when unknown
    moment   moment_id [M]; author [M] (user index); time [M] (creation, UTC ms);
             lat, lng [M] (degrees, NaN when unknown); cell [M] (-1 when unknown)
    cell     name (list of str); lat, lng [C] (centre, degrees); is_province [C]

Edge types, stored in one direction (models add the reverse):

    (user, likes, moment)      time = like time
    (user, comments, moment)   time = the user's first comment on the moment
    (user, posts, moment)      time = moment creation
    (moment, in, cell)         time = moment creation
    (user, home, cell)         homes at the serving cutoff (column -1 of home_cell)
    (cell, near, cell)         both directions, centres at most near_km apart; distance_km

A cell is a grid square of `cell_size_degrees` for a moment with coordinates,
or a whole province for a moment known only by its ipLocation. A user's home
at a cutoff is the cell they posted located moments from most often before
it. A user with no located moment gets the province named most often by the
ipLocation of their moments and comments before it.

Cutoffs split time: the training graph holds the edges before `validation`,
the validation targets are the interactions in [validation, test), and the
test targets those in [test, serving). `snapshot` returns the graph as it was
at a cutoff, so an interaction at or after the cutoff is never in it.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import HeteroData

from moment_pipelines.ml.recommendation.geo import grid_cell_centre, haversine_km, province_cell_name

GRAPH_FORMAT = "moment_graph/1"
CUTOFFS = ("validation", "test", "serving")
INTERACTIONS = (("user", "likes", "moment"), ("user", "comments", "moment"))
POSTS = ("user", "posts", "moment")
IN_CELL = ("moment", "in", "cell")
HOME = ("user", "home", "cell")
NEAR = ("cell", "near", "cell")
TIMED_EDGES = (*INTERACTIONS, POSTS, IN_CELL)

MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class GraphConfig:
    cell_size_degrees: float = 0.25  # side of a grid cell in degrees (0.25° is about 28 km north-south)
    near_km: float = 100.0  # two cells are "near" when their centres are at most this far apart
    validation_days: float = 3.0  # length of the validation period before the test period
    test_days: float = 3.0  # length of the test period at the end of the data


@dataclass(frozen=True)
class GraphTables:
    """The warehouse rows a graph is built from (see moment_pipelines/features/recommendation)."""

    moments: pd.DataFrame  # moment_id, uid, create_time_ms, place_source, lat, lng, province
    interactions: pd.DataFrame  # relation ('likes' / 'comments'), uid, moment_id, event_time_ms
    comment_places: pd.DataFrame  # uid, seen_time_ms, province
    provinces: pd.DataFrame  # province (short name as ipLocation writes it), lat, lng of its centre


def _cells(moments: pd.DataFrame, comment_places: pd.DataFrame, provinces: pd.DataFrame, cell_size: float):
    """Return each moment's cell name and the cell table (name, lat, lng, is_province)."""
    located = (moments["place_source"] == "location").to_numpy()
    south = np.floor(moments["lat"].to_numpy(dtype=float) / cell_size) * cell_size
    west = np.floor(moments["lng"].to_numpy(dtype=float) / cell_size) * cell_size
    moment_cell = np.full(len(moments), None, dtype=object)
    # A list comprehension keeps working when no moment has coordinates (an empty float Series cannot take "+ ','").
    grid_names = [f"grid:{lat:.4f},{lng:.4f}" for lat, lng in zip(south[located], west[located])]
    moment_cell[located] = np.array(grid_names, dtype=object)
    by_province = (moments["place_source"] == "ip_location").to_numpy()
    moment_cell[by_province] = [province_cell_name(name) for name in moments["province"][by_province]]

    grid = sorted({name for name in moment_cell[located]})
    # Province cells: every province a moment or comment names, so any user's home fallback has a node.
    province_names = sorted(set(moments["province"].dropna()) | set(comment_places["province"].dropna()))
    province_rows = provinces.set_index("province").loc[province_names]
    rows = [(name, *grid_cell_centre(name, cell_size), False) for name in grid]
    rows += [
        (province_cell_name(name), float(row.lat), float(row.lng), True)
        for name, row in zip(province_names, province_rows.itertuples())
    ]
    cells = pd.DataFrame(rows, columns=["name", "lat", "lng", "is_province"])
    return moment_cell, cells


def _homes(
    user_index: pd.Series, moments: pd.DataFrame, moment_cell: np.ndarray, comment_places: pd.DataFrame,
    cell_index: pd.Series, cutoffs_ms: list[int],
) -> np.ndarray:
    """Return home_cell [n_users, n_cutoffs]: each user's most frequent place before each cutoff, -1 when none.

    Located moments (priority 0) beat ipLocation provinces (priority 1); among
    places of the same priority the most frequent wins, then the latest seen.
    """
    located = (moments["place_source"] == "location").to_numpy()
    gps = pd.DataFrame(
        {"uid": moments["uid"][located], "time": moments["create_time_ms"][located], "cell": moment_cell[located], "priority": 0}
    )
    moment_provinces = moments.dropna(subset=["province"])
    ip = pd.concat(
        [
            pd.DataFrame({"uid": moment_provinces["uid"], "time": moment_provinces["create_time_ms"], "province": moment_provinces["province"]}),
            pd.DataFrame({"uid": comment_places["uid"], "time": comment_places["seen_time_ms"], "province": comment_places["province"]}),
        ]
    )
    ip = pd.DataFrame({"uid": ip["uid"], "time": ip["time"], "cell": ip["province"].map(province_cell_name), "priority": 1})
    observations = pd.concat([gps, ip], ignore_index=True)
    observations = observations[observations["cell"].isin(cell_index.index)]

    homes = np.full((len(user_index), len(cutoffs_ms)), -1, dtype=np.int64)
    for column, cutoff in enumerate(cutoffs_ms):
        seen = observations[observations["time"] < cutoff]
        counts = seen.groupby(["uid", "priority", "cell"], as_index=False).agg(count=("time", "size"), last=("time", "max"))
        best = counts.sort_values(["uid", "priority", "count", "last"], ascending=[True, True, False, False])
        best = best.drop_duplicates("uid")
        homes[user_index[best["uid"]].to_numpy(), column] = cell_index[best["cell"]].to_numpy()
    return homes


def _near_pairs(cells: pd.DataFrame, near_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (source, target, distance_km) of every ordered pair of different cells within near_km."""
    lat = cells["lat"].to_numpy(dtype=float)
    lng = cells["lng"].to_numpy(dtype=float)
    distance = haversine_km(lat[:, None], lng[:, None], lat[None, :], lng[None, :])  # [C, C]
    np.fill_diagonal(distance, np.inf)
    source, target = np.nonzero(distance <= near_km)
    return source, target, distance[source, target]


def build_graph(tables: GraphTables, config: GraphConfig) -> HeteroData:
    """Build the graph from warehouse rows; the module docstring lists its nodes, edges and cutoffs.

    Raises ValueError when there are no moments.
    """
    moments, interactions, comment_places = tables.moments, tables.interactions, tables.comment_places
    if moments.empty:
        raise ValueError("no moments: the graph needs at least one moment")
    provinces = tables.provinces

    uids = np.unique(np.concatenate([moments["uid"], interactions["uid"], comment_places["uid"]]).astype(np.int64))
    user_index = pd.Series(np.arange(len(uids)), index=uids)
    moment_index = pd.Series(np.arange(len(moments)), index=moments["moment_id"].to_numpy())
    moment_cell, cells = _cells(moments, comment_places, provinces, config.cell_size_degrees)
    cell_index = pd.Series(np.arange(len(cells)), index=cells["name"].to_numpy())

    times = [moments["create_time_ms"].max(), interactions["event_time_ms"].max() if len(interactions) else 0]
    end_ms = int(max(times)) + 1
    test_ms = end_ms - round(config.test_days * MS_PER_DAY)
    validation_ms = test_ms - round(config.validation_days * MS_PER_DAY)
    cutoffs_ms = [validation_ms, test_ms, end_ms]

    graph = HeteroData()
    graph.cutoff_names = list(CUTOFFS)
    graph.cutoff_ms = torch.tensor(cutoffs_ms, dtype=torch.long)
    graph.cell_size_degrees = config.cell_size_degrees
    graph.near_km = config.near_km

    homes = _homes(user_index, moments, moment_cell, comment_places, cell_index, cutoffs_ms)
    graph["user"].num_nodes = len(uids)
    graph["user"].uid = torch.from_numpy(uids)
    graph["user"].home_cell = torch.from_numpy(homes)

    known_cell = pd.notna(moment_cell)
    cell_of_moment = np.full(len(moments), -1, dtype=np.int64)
    cell_of_moment[known_cell] = cell_index[moment_cell[known_cell]].to_numpy()
    graph["moment"].num_nodes = len(moments)
    graph["moment"].moment_id = torch.tensor(moments["moment_id"].to_numpy(dtype=np.int64))
    graph["moment"].author = torch.tensor(user_index[moments["uid"]].to_numpy())
    graph["moment"].time = torch.tensor(moments["create_time_ms"].to_numpy(dtype=np.int64))
    graph["moment"].lat = torch.tensor(moments["lat"].to_numpy(dtype=np.float64, na_value=np.nan))
    graph["moment"].lng = torch.tensor(moments["lng"].to_numpy(dtype=np.float64, na_value=np.nan))
    graph["moment"].cell = torch.from_numpy(cell_of_moment)

    graph["cell"].num_nodes = len(cells)
    graph["cell"].name = cells["name"].tolist()
    graph["cell"].lat = torch.tensor(cells["lat"].to_numpy(dtype=np.float64))
    graph["cell"].lng = torch.tensor(cells["lng"].to_numpy(dtype=np.float64))
    graph["cell"].is_province = torch.tensor(cells["is_province"].to_numpy(dtype=bool))

    for edge_type in INTERACTIONS:
        rows = interactions[interactions["relation"] == edge_type[1]]
        graph[edge_type].edge_index = torch.from_numpy(
            np.stack([user_index[rows["uid"]].to_numpy(), moment_index[rows["moment_id"]].to_numpy()]).reshape(2, -1)
        )
        graph[edge_type].time = torch.tensor(rows["event_time_ms"].to_numpy(dtype=np.int64))

    graph[POSTS].edge_index = torch.stack([graph["moment"].author, torch.arange(len(moments))])
    graph[POSTS].time = graph["moment"].time.clone()
    located = torch.from_numpy(cell_of_moment >= 0)
    graph[IN_CELL].edge_index = torch.stack([torch.arange(len(moments))[located], graph["moment"].cell[located]])
    graph[IN_CELL].time = graph["moment"].time[located]

    _set_homes(graph, homes[:, -1])
    source, target, distance = _near_pairs(cells, config.near_km)
    graph[NEAR].edge_index = torch.from_numpy(np.stack([source, target]).astype(np.int64).reshape(2, -1))
    graph[NEAR].distance_km = torch.from_numpy(distance.astype(np.float32))
    return graph


def _set_homes(graph: HeteroData, home: np.ndarray | torch.Tensor) -> None:
    home = torch.as_tensor(home)
    users = torch.nonzero(home >= 0).flatten()
    graph[HOME].edge_index = torch.stack([users, home[users]])


def cutoff_ms(graph: HeteroData, name: str) -> int:
    """Return the time of cutoff `name` (one of CUTOFFS) in UTC ms."""
    return int(graph.cutoff_ms[graph.cutoff_names.index(name)])


def snapshot(graph: HeteroData, name: str) -> HeteroData:
    """Return the graph as it was at cutoff `name`: timed edges strictly before it, homes as of then.

    Nodes stay as they are (a moment created later is an isolated node), so
    node indices mean the same in every snapshot. The input graph is not changed.
    """
    column = graph.cutoff_names.index(name)
    before = int(graph.cutoff_ms[column])
    view = graph.__copy__()
    for edge_type in TIMED_EDGES:
        keep = graph[edge_type].time < before
        view[edge_type].edge_index = graph[edge_type].edge_index[:, keep]
        view[edge_type].time = graph[edge_type].time[keep]
    _set_homes(view, graph["user"].home_cell[:, column])
    return view


def home_coordinates(graph: HeteroData) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (lat, lng) [U] of each user's home cell centre in this graph (snapshot), NaN when unknown."""
    num_users = graph["user"].num_nodes
    lat = torch.full((num_users,), torch.nan)
    lng = torch.full((num_users,), torch.nan)
    users, cells = graph[HOME].edge_index
    lat[users] = graph["cell"].lat[cells].float()
    lng[users] = graph["cell"].lng[cells].float()
    return lat, lng


def interaction_pairs(graph: HeteroData, start_ms: int | None = None, end_ms: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (user, moment, time) of every user–moment pair with a like or comment in [start_ms, end_ms).

    A pair that is both liked and commented appears once, at its earliest time.
    """
    users, moments, times = [], [], []
    for edge_type in INTERACTIONS:
        edge_time = graph[edge_type].time
        keep = torch.ones_like(edge_time, dtype=torch.bool)
        if start_ms is not None:
            keep &= edge_time >= start_ms
        if end_ms is not None:
            keep &= edge_time < end_ms
        users.append(graph[edge_type].edge_index[0, keep])
        moments.append(graph[edge_type].edge_index[1, keep])
        times.append(edge_time[keep])
    user, moment, time = torch.cat(users), torch.cat(moments), torch.cat(times)

    order = torch.argsort(time, stable=True)
    user, moment, time = user[order], moment[order], time[order]
    key = (user * graph["moment"].num_nodes + moment).numpy()
    _, first = np.unique(key, return_index=True)  # index of each pair's earliest row
    first = torch.from_numpy(np.sort(first))
    return user[first], moment[first], time[first]


def graph_counts(graph: HeteroData) -> dict[str, int]:
    """Return the number of nodes of each type and edges of each type, keyed like "user" and "user-likes-moment"."""
    counts = {node_type: int(graph[node_type].num_nodes) for node_type in graph.node_types}
    for edge_type in graph.edge_types:
        counts["-".join(edge_type)] = int(graph[edge_type].edge_index.shape[1])
    return counts


def save_graph(graph: HeteroData, path: Path) -> None:
    """Write the graph with torch.save as plain tensors, lists and dicts (loadable with weights_only=True).

    The id mappings travel inside it: user.uid, moment.moment_id and cell.name
    give the warehouse id or name of every node index.
    """
    torch.save({"format": GRAPH_FORMAT, "graph": graph.to_dict()}, path)


def load_graph(path: Path) -> HeteroData:
    """Read a graph written by `save_graph`."""
    stored = torch.load(path, map_location="cpu", weights_only=True)
    if stored.get("format") != GRAPH_FORMAT:
        raise ValueError(f"{path} is not a {GRAPH_FORMAT} file (format {stored.get('format')!r})")
    return HeteroData.from_dict(stored["graph"])
