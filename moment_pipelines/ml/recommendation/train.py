"""Training loop for MomentLightGCN: BPR loss, contemporaneous negatives, early stopping on validation Recall@K.

Each epoch:

1. The training interactions are split at random into positives
   (`supervision_fraction` of them) and message-passing pairs (the rest), and
   the propagation graph is built from the message-passing pairs only. A
   positive is then never an edge of the graph it is predicted from, as at
   test time, when the held-out interactions are not in the graph.
2. Each positive (user, moment, time) gets one negative: a moment created in
   the `candidate_days` before the interaction, one the feed could have shown
   then. Negatives from the whole history would be too easy to tell apart.
3. The loss is BPR, -log sigmoid(score(user, positive) - score(user, negative)),
   plus an L2 penalty on the batch's user and author embeddings.

After each epoch, Recall@K on the validation period decides early stopping,
and the model ends with the best epoch's weights.
"""

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch_geometric.data import HeteroData

from moment_pipelines.ml.recommendation.graph import MS_PER_DAY, cutoff_ms, interaction_pairs, snapshot
from moment_pipelines.ml.recommendation.metrics import recall_at_k
from moment_pipelines.ml.recommendation.model import GraphInputs, MomentLightGCN, prepare_inputs
from moment_pipelines.ml.recommendation.ranking import RankingTask, ranking_task, top_k
from moment_pipelines.ml.train import set_seed

logger = logging.getLogger(__name__)

_SCORING_CHUNK_USERS = 4096


@dataclass
class TrainConfig:
    epochs: int = 20  # maximum passes over the training interactions
    batch_size: int = 8192  # positives per gradient step; each step propagates over the whole graph
    min_steps_per_epoch: int = 10  # smaller batches on small graphs, so an epoch still takes this many steps
    learning_rate: float = 0.05  # Adam step size of the embeddings
    head_learning_rate: float = 0.5  # Adam step size of the popularity weight and distance biases
    l2: float = 1e-4  # L2 penalty on the batch's user and author embeddings, per positive
    supervision_fraction: float = 0.3  # share of training interactions used as positives in an epoch
    candidate_days: float = 3.0  # negatives and ranked candidates: moments at most this old
    k: int = 20  # early stopping watches validation Recall@k
    patience: int = 3  # epochs without a better validation Recall@k before training stops
    seed: int = 42  # seeds torch, numpy, random and the sampling


@dataclass
class EpochStats:
    epoch: int  # 1-based
    loss: float  # mean BPR loss over the epoch's positives
    validation_recall: float  # Recall@k on the validation period after the epoch
    seconds: float  # wall time of the epoch's training steps, validation excluded
    positives: int  # positives (BPR triples) trained on

    @property
    def samples_per_second(self) -> float:
        return self.positives / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class TrainingResult:
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    best_validation_recall: float = -1.0
    stopped_early: bool = False
    validation_users: int = 0
    training_interactions: int = 0

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def model_ranking(
    model: MomentLightGCN, inputs: GraphInputs, users: torch.Tensor, candidates: torch.Tensor, excluded: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (positions [n, k], valid [n, k], scores [n, k]) of each user's top-k allowed candidates."""
    model.eval()
    with torch.no_grad():
        vectors = model(inputs)
        parts = []
        for start in range(0, len(users), _SCORING_CHUNK_USERS):
            chunk = slice(start, start + _SCORING_CHUNK_USERS)
            scores = model.score_matrix(vectors, inputs, users[chunk], candidates)
            positions, valid = top_k(scores, excluded[chunk], k)
            parts.append((positions, valid, scores.gather(1, positions)))
    if not parts:
        empty = torch.empty(0, min(k, len(candidates)), dtype=torch.long)
        return empty, empty.bool(), empty.float()
    return tuple(torch.cat(part) for part in zip(*parts))


def validation_recall(model: MomentLightGCN, inputs: GraphInputs, task: RankingTask, k: int) -> float:
    positions, _, _ = model_ranking(model, inputs, task.users, task.candidates, task.excluded, k)
    return recall_at_k(positions, task.relevance, k)


def _draw_negatives(
    rng: np.random.Generator, positive_time: np.ndarray, sorted_time: np.ndarray, order: np.ndarray, window_start: int, span_ms: int
) -> np.ndarray:
    """Draw, for each positive time t, a moment created uniformly at random in [max(t - span, window start), t]."""
    low = np.searchsorted(sorted_time, np.maximum(positive_time - span_ms, window_start), side="left")
    high = np.searchsorted(sorted_time, positive_time, side="right")
    high = np.maximum(high, low + 1)
    return order[low + np.floor(rng.random(len(positive_time)) * (high - low)).astype(np.int64)]


def train_recommender(
    model: MomentLightGCN,
    graph: HeteroData,
    config: TrainConfig,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> TrainingResult:
    """Train on the interactions before the validation cutoff; stop early on validation Recall@k.

    `graph` is the full graph from `build_graph`. Raises ValueError when the
    training window has no interaction or the validation period has no target.
    """
    if config.candidate_days > model.config.history_days:
        raise ValueError(f"candidate_days ({config.candidate_days}) must not exceed history_days ({model.config.history_days})")
    set_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    validation_ms = cutoff_ms(graph, "validation")
    train_graph = snapshot(graph, "validation")
    window_start = validation_ms - round(model.config.history_days * MS_PER_DAY)
    user, moment, event_time = interaction_pairs(train_graph, window_start, validation_ms)
    recent = train_graph["moment"].time[moment] >= window_start  # moments older than the window have no vector
    user, moment, event_time = user[recent], moment[recent], event_time[recent]
    if len(user) == 0:
        raise ValueError("no like or comment in the training window before the validation cutoff")
    task = ranking_task(graph, validation_ms, cutoff_ms(graph, "test"), config.candidate_days)
    if len(task.users) == 0:
        raise ValueError("no user liked or commented on a candidate moment in the validation period")
    validation_inputs = prepare_inputs(train_graph, validation_ms, model.config.history_days)

    # Users with an edge in the training window (an interaction or a post) are trained.
    degree = validation_inputs.adjacency.crow_indices().diff()[: validation_inputs.num_users]
    model.trained_users.copy_(degree > 0)

    moment_time = train_graph["moment"].time.numpy()
    order = np.argsort(moment_time, kind="stable")
    sorted_time = moment_time[order]
    span_ms = round(config.candidate_days * MS_PER_DAY)
    # The handful of head numbers see every positive, so they take larger steps
    # than the embeddings, which each see only their own users.
    heads = {id(parameter) for parameter in model.head_parameters()}
    embeddings = [parameter for parameter in model.parameters() if id(parameter) not in heads]
    optimizer = torch.optim.Adam(
        [{"params": embeddings}, {"params": model.head_parameters(), "lr": config.head_learning_rate}], lr=config.learning_rate
    )

    result = TrainingResult(validation_users=len(task.users), training_interactions=len(user))
    best_state = copy.deepcopy(model.state_dict())
    epochs_without_improvement = 0

    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        model.train()
        is_positive = torch.from_numpy(rng.random(len(user)) < config.supervision_fraction)
        inputs = prepare_inputs(train_graph, validation_ms, model.config.history_days, (user[~is_positive], moment[~is_positive]))
        positives = torch.nonzero(is_positive).flatten()
        positives = positives[torch.from_numpy(rng.permutation(len(positives)))]
        batch_size = max(1, min(config.batch_size, -(-len(positives) // config.min_steps_per_epoch)))
        summed_loss = 0.0

        for start in range(0, len(positives), batch_size):
            batch = positives[start : start + batch_size]
            batch_user, batch_moment = user[batch], moment[batch]
            negative = torch.from_numpy(_draw_negatives(rng, event_time[batch].numpy(), sorted_time, order, window_start, span_ms))

            vectors = model(inputs)
            positive_score = model.pair_scores(vectors, inputs, batch_user, batch_moment)
            negative_score = model.pair_scores(vectors, inputs, batch_user, negative)
            loss = -torch.nn.functional.logsigmoid(positive_score - negative_score).mean()
            authors = graph["moment"].author[torch.cat([batch_moment, negative])]
            penalty = config.l2 / 2 * (
                model.user_embedding(batch_user).pow(2).sum(dim=1).mean() + model.author_embedding(authors).pow(2).sum(dim=1).mean()
            )

            optimizer.zero_grad()
            (loss + penalty).backward()
            optimizer.step()
            summed_loss += loss.item() * len(batch)

        seconds = time.perf_counter() - started
        recall = validation_recall(model, validation_inputs, task, config.k)
        stats = EpochStats(epoch=epoch, loss=summed_loss / max(len(positives), 1), validation_recall=recall, seconds=seconds, positives=len(positives))
        result.history.append(stats)
        if on_epoch is not None:
            on_epoch(stats)
        else:
            logger.info("epoch %d: loss %.4f, validation Recall@%d %.4f", epoch, stats.loss, config.k, recall)

        if recall > result.best_validation_recall:
            result.best_epoch = epoch
            result.best_validation_recall = recall
            best_state = copy.deepcopy(model.state_dict())
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
            if epochs_without_improvement >= config.patience:
                result.stopped_early = True
                break

    model.load_state_dict(best_state)
    model.eval()
    return result
