"""MomentLightGCN: LightGCN for recent moments, with an optional place part that makes it geo-aware.

The propagation follows LightGCN (He et al., "LightGCN: Simplifying and
Powering Graph Convolution Network for Recommendation", SIGIR 2020): no
weight matrices, no non-linearity, each layer is the symmetrically
normalised adjacency times the previous layer, and a node's vector is the
mean of its layers. The graph has users and moments as nodes, linked by
likes, comments and posts.

One change from the paper: moments have no embedding of their own. A moment
collects most of its likes within a day, so the moments a user should see
next were mostly posted after the model was trained, and a per-moment
embedding would be untrained for them. Instead a moment starts from its
author's "author embedding", which every moment of that author trains, and
propagation adds its neighbours (the author and the users who already liked
or commented on it). A moment gets a vector as soon as it is in the graph.

The geo-aware variant (`geo=True`) adds two terms to the score:

- places: each cell has an embedding, averaged with the cells near it
  (cell–near–cell). A user reads the vector of their home cell (user–home–cell)
  and a moment that of its own cell (moment–in–cell). The score adds the dot
  product of the two.
- distance: a learned bias per band of distance between the user's home and
  the moment (0–25 km, 25–100 km, ... and "unknown"), so that "near" can
  raise or lower a score directly.

Both variants also weigh the moment's likes and comments so far, log(1 + n),
with one learned number, because a moment's early likes predict its later ones.

score(user, moment) = <u, m> + w * log(1 + n(moment)) [+ <place(user), place(moment)> + bias(distance band)]
"""

from dataclasses import dataclass, field

import torch
from torch import nn
from torch_geometric.data import HeteroData
from torch_geometric.utils import coalesce, degree, to_torch_csr_tensor

from moment_pipelines.ml.recommendation.geo import haversine_km
from moment_pipelines.ml.recommendation.graph import HOME, NEAR, POSTS, home_coordinates, interaction_pairs


@dataclass
class RecommenderConfig:
    embedding_dim: int = 64  # size of user vectors (and of the moment vectors built from them)
    num_layers: int = 2  # LightGCN layers; 2 reaches user -> liked moment -> its author
    history_days: float = 60.0  # only moments and interactions this recent are propagated
    geo: bool = True  # add the place and distance terms; False gives plain LightGCN
    place_dim: int = 64  # size of the cell vectors; near-orthogonal random cells need a few dozen
    place_layers: int = 1  # rounds of averaging each cell with its near cells
    distance_bands_km: tuple[float, ...] = field(default=(25.0, 100.0, 300.0, 800.0))  # upper edges of the bands


class SymmetricSpmm(torch.autograd.Function):
    """A @ x for a sparse CSR matrix A that is symmetric, with backward A @ grad.

    torch.sparse.mm differentiates a CSR product by transposing A on every
    call. For a symmetric A the transpose is A itself, so backward can reuse
    it (bench/recommendation_training.py measures the difference).
    """

    @staticmethod
    def forward(ctx, adjacency: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.adjacency = adjacency
        return torch.sparse.mm(adjacency, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, torch.sparse.mm(ctx.adjacency, grad)


@dataclass
class GraphInputs:
    """One graph snapshot as the tensors a forward pass needs.

    The propagation graph has the users first, then the "window" moments:
    those created in the last `history_days` before the cutoff.
    """

    adjacency: torch.Tensor  # sparse CSR [U + W, U + W], symmetric, D^-1/2 A D^-1/2
    num_users: int  # U
    window_moments: torch.Tensor  # [W] moment index of each window position
    window_authors: torch.Tensor  # [W] user index of each window moment's author
    moment_position: torch.Tensor  # [M] window position of each moment, -1 outside the window
    user_cell: torch.Tensor  # [U] home cell, -1 when unknown
    moment_cell: torch.Tensor  # [M] cell, -1 when unknown
    moment_interactions: torch.Tensor  # [W] likes and comments each window moment has in the propagation graph
    near_mean: torch.Tensor  # sparse CSR [C, C]: mean over a cell and its near cells
    user_lat: torch.Tensor  # [U] home cell centre, NaN when unknown
    user_lng: torch.Tensor
    moment_lat: torch.Tensor  # [M] NaN when unknown
    moment_lng: torch.Tensor


def prepare_inputs(
    graph: HeteroData, cutoff_ms: int, history_days: float, interactions: tuple[torch.Tensor, torch.Tensor] | None = None
) -> GraphInputs:
    """Build the model inputs from a graph snapshot whose edges all precede `cutoff_ms`.

    `interactions` (user, moment) replaces the snapshot's likes and comments
    as the edges to propagate over. Training passes the pairs it does not
    use as positives, so a positive is never an edge of its own input graph.
    """
    num_users = graph["user"].num_nodes
    num_moments = graph["moment"].num_nodes
    window_start = cutoff_ms - round(history_days * 86_400_000)
    moment_time = graph["moment"].time
    in_window = (moment_time >= window_start) & (moment_time < cutoff_ms)
    window_moments = torch.nonzero(in_window).flatten()
    moment_position = torch.full((num_moments,), -1, dtype=torch.long)
    moment_position[window_moments] = torch.arange(len(window_moments))

    if interactions is None:
        user, moment, _ = interaction_pairs(graph, window_start, cutoff_ms)
    else:
        user, moment = interactions
    author, posted = graph[POSTS].edge_index
    users = torch.cat([user, author])
    moments = torch.cat([moment, posted])
    keep = moment_position[moments] >= 0
    pairs = torch.stack([users[keep], num_users + moment_position[moments[keep]]])  # [2, E]
    adjacency = normalized_adjacency(pairs, num_users + len(window_moments))
    interacted = moment_position[moment]
    moment_interactions = torch.bincount(interacted[interacted >= 0], minlength=len(window_moments)).float()

    num_cells = graph["cell"].num_nodes
    user_cell = torch.full((num_users,), -1, dtype=torch.long)
    home_users, home_cells = graph[HOME].edge_index
    user_cell[home_users] = home_cells
    user_lat, user_lng = home_coordinates(graph)

    return GraphInputs(
        adjacency=adjacency,
        num_users=num_users,
        window_moments=window_moments,
        window_authors=graph["moment"].author[window_moments],
        moment_position=moment_position,
        user_cell=user_cell,
        moment_cell=graph["moment"].cell,
        moment_interactions=moment_interactions,
        near_mean=near_mean_matrix(graph[NEAR].edge_index, num_cells),
        user_lat=user_lat,
        user_lng=user_lng,
        moment_lat=graph["moment"].lat.float(),
        moment_lng=graph["moment"].lng.float(),
    )


def normalized_adjacency(pairs: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Return D^-1/2 A D^-1/2 as a sparse CSR tensor for the undirected graph with edges `pairs` [2, E].

    Repeated pairs count once.
    """
    edge_index = coalesce(torch.cat([pairs, pairs.flip(0)], dim=1), num_nodes=num_nodes)
    node_degree = degree(edge_index[0], num_nodes)
    weight = node_degree[edge_index[0]].rsqrt() * node_degree[edge_index[1]].rsqrt()
    return to_torch_csr_tensor(edge_index, weight, size=num_nodes, is_coalesced=True)


def near_mean_matrix(near_edges: torch.Tensor, num_cells: int) -> torch.Tensor:
    """Return the row-normalised [C, C] matrix that averages each cell with its near cells."""
    self_loops = torch.arange(num_cells).repeat(2, 1)
    edge_index = coalesce(torch.cat([near_edges, self_loops], dim=1), num_nodes=num_cells)
    weight = 1.0 / degree(edge_index[0], num_cells)[edge_index[0]]
    return to_torch_csr_tensor(edge_index, weight, size=num_cells, is_coalesced=True)


@dataclass
class NodeVectors:
    users: torch.Tensor  # [U, embedding_dim]
    moments: torch.Tensor  # [W, embedding_dim], window positions
    places: torch.Tensor | None  # [C + 1, place_dim], last row zeros for "no cell"; None without geography


class MomentLightGCN(nn.Module):
    def __init__(self, num_users: int, num_cells: int, config: RecommenderConfig) -> None:
        super().__init__()
        self.config = config
        self.num_cells = num_cells
        self.user_embedding = nn.Embedding(num_users, config.embedding_dim)
        nn.init.normal_(self.user_embedding.weight, std=0.1)
        # Each user's vector as an author: every moment they post starts from it.
        self.author_embedding = nn.Embedding(num_users, config.embedding_dim)
        nn.init.normal_(self.author_embedding.weight, std=0.1)
        # Users whose embeddings training updated. The others keep their random
        # initial vectors, which are noise, so forward replaces them by zeros and
        # such a user is ranked by popularity, place and propagation alone.
        self.register_buffer("trained_users", torch.ones(num_users, dtype=torch.bool))
        # Weight of log(1 + likes and comments so far): how much a moment's early popularity counts.
        self.popularity_weight = nn.Parameter(torch.zeros(1))
        if config.geo:
            self.place_embedding = nn.Embedding(num_cells, config.place_dim)
            nn.init.normal_(self.place_embedding.weight, std=0.1)
            # One bias per band, one beyond the last band, one for "distance unknown".
            self.distance_bias = nn.Parameter(torch.zeros(len(config.distance_bands_km) + 2))
            self.register_buffer("distance_bands", torch.tensor(config.distance_bands_km))

    def forward(self, inputs: GraphInputs) -> NodeVectors:
        # 1. LightGCN over users and window moments; a moment starts from its author's vector.
        trained = self.trained_users[:, None].float()
        author_trained = self.trained_users[inputs.window_authors][:, None].float()
        x = torch.cat([self.user_embedding.weight * trained, self.author_embedding(inputs.window_authors) * author_trained])
        layers = [x]
        for _ in range(self.config.num_layers):
            x = SymmetricSpmm.apply(inputs.adjacency, x)
            layers.append(x)
        vectors = torch.stack(layers).mean(dim=0)  # [U + W, embedding_dim]

        # 2. Place vectors: every cell averaged with its near cells, plus a zero row for "no cell".
        places = None
        if self.config.geo:
            p = self.place_embedding.weight
            place_layers = [p]
            for _ in range(self.config.place_layers):
                p = torch.sparse.mm(inputs.near_mean, p)
                place_layers.append(p)
            places = torch.stack(place_layers).mean(dim=0)  # [C, place_dim]
            places = torch.cat([places, places.new_zeros(1, self.config.place_dim)])

        return NodeVectors(users=vectors[: inputs.num_users], moments=vectors[inputs.num_users :], places=places)

    def head_parameters(self) -> list[nn.Parameter]:
        """Return the few numbers shared by every score (popularity weight, distance biases)."""
        return [self.popularity_weight] + ([self.distance_bias] if self.config.geo else [])

    def distance_band(self, inputs: GraphInputs, users: torch.Tensor, moments: torch.Tensor) -> torch.Tensor:
        """Return the band index for each (user, moment) pair; users and moments broadcast."""
        distance = haversine_km(inputs.user_lat[users], inputs.user_lng[users], inputs.moment_lat[moments], inputs.moment_lng[moments])
        band = torch.bucketize(distance, self.distance_bands)
        return torch.where(torch.isnan(distance), len(self.distance_bias) - 1, band)

    def pair_scores(self, vectors: NodeVectors, inputs: GraphInputs, users: torch.Tensor, moments: torch.Tensor) -> torch.Tensor:
        """Return the score of each (users[i], moments[i]) pair; moments are moment indices inside the window."""
        position = _window_positions(inputs, moments)
        score = (vectors.users[users] * vectors.moments[position]).sum(dim=-1)
        score = score + self.popularity_weight * torch.log1p(inputs.moment_interactions[position])
        if self.config.geo:
            user_place = vectors.places[inputs.user_cell[users]]  # index -1 is the zero row
            moment_place = vectors.places[inputs.moment_cell[moments]]
            score = score + (user_place * moment_place).sum(dim=-1)
            score = score + self.distance_bias[self.distance_band(inputs, users, moments)]
        return score

    def score_matrix(self, vectors: NodeVectors, inputs: GraphInputs, users: torch.Tensor, moments: torch.Tensor) -> torch.Tensor:
        """Return scores [len(users), len(moments)] of every user against every moment (all inside the window)."""
        position = _window_positions(inputs, moments)
        score = vectors.users[users] @ vectors.moments[position].T
        score = score + self.popularity_weight * torch.log1p(inputs.moment_interactions[position])[None, :]
        if self.config.geo:
            score = score + vectors.places[inputs.user_cell[users]] @ vectors.places[inputs.moment_cell[moments]].T
            score = score + self.distance_bias[self.distance_band(inputs, users[:, None], moments[None, :])]
        return score


def _window_positions(inputs: GraphInputs, moments: torch.Tensor) -> torch.Tensor:
    position = inputs.moment_position[moments]
    if (position < 0).any():
        outside = moments[position < 0][:5].tolist()
        raise ValueError(f"moments {outside} are outside the propagation window; raise history_days or pick newer moments")
    return position
