"""Turning a trained CommentSeq2Seq into comment token ids: greedy search, beam search and sampling.

The model returns log-probabilities; they serve as logits here, because a
softmax over log-probabilities gives the probabilities back.

Every strategy stops at `<eos>` or after `max_length` tokens, never emits
`<pad>`, `<bos>` or `<unk>`, blocks `<eos>` until `min_length` tokens exist,
and can apply a repetition penalty. Sampling supports temperature, top-k and
top-p (nucleus) filtering (Holtzman et al., "The Curious Case of Neural Text
Degeneration", 2020).
"""

from dataclasses import dataclass

import torch

from moment_pipelines.ml.comment_generation.seq2seq import CommentSeq2Seq, EncodedMoment, reorder_state
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary

STRATEGIES = ("greedy", "beam", "sample")


@dataclass
class DecodingConfig:
    strategy: str = "greedy"  # "greedy", "beam" or "sample"
    max_length: int = 30  # tokens generated at most, <eos> not counted
    min_length: int = 1  # <eos> is blocked until this many tokens exist
    beam_size: int = 5  # hypotheses kept per step (beam search)
    length_penalty: float = 1.0  # beam scores are divided by length ** length_penalty; 0 favours short comments
    temperature: float = 1.0  # sampling: logits are divided by it; below 1 is sharper, above 1 flatter
    top_k: int = 0  # sampling: keep only the k most likely tokens; 0 keeps all
    top_p: float = 1.0  # sampling: keep the smallest set of tokens whose probabilities reach top_p
    repetition_penalty: float = 1.0  # above 1 lowers the score of tokens already generated (CTRL, Keskar et al., 2019)

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(f"need 1 <= min_length <= max_length, got {self.min_length} and {self.max_length}")
        if self.beam_size < 1 or self.temperature <= 0 or self.top_k < 0 or not 0 < self.top_p <= 1:
            raise ValueError(
                f"invalid decoding settings: beam_size={self.beam_size}, temperature={self.temperature}, "
                f"top_k={self.top_k}, top_p={self.top_p}"
            )
        if self.repetition_penalty < 1:
            raise ValueError(f"repetition_penalty must be at least 1, got {self.repetition_penalty}")


def apply_repetition_penalty(logits: torch.Tensor, generated: list[int], penalty: float) -> torch.Tensor:
    """Divide positive logits of already generated tokens by `penalty` and multiply negative ones, as CTRL does."""
    if penalty == 1 or not generated:
        return logits
    logits = logits.clone()
    seen = torch.tensor(sorted(set(generated)))
    scores = logits[seen]
    logits[seen] = torch.where(scores > 0, scores / penalty, scores * penalty)
    return logits


def filter_top_k_top_p(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    """Set every logit outside the top-k and outside the top-p nucleus to -inf; the best token always stays."""
    logits = logits.clone()
    if 0 < top_k < logits.shape[-1]:
        threshold = torch.topk(logits, top_k).values[-1]
        logits[logits < threshold] = float("-inf")
    if top_p < 1:
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        # Drop a token when the tokens before it already reach top_p.
        outside = cumulative - torch.softmax(sorted_logits, dim=-1) >= top_p
        logits[order[outside]] = float("-inf")
    return logits


def _allowed_logits(
    logits: torch.Tensor, generated: list[int], vocabulary: Vocabulary, config: DecodingConfig
) -> torch.Tensor:
    """Apply the repetition penalty and block special tokens, and <eos> while the comment is shorter than min_length."""
    logits = apply_repetition_penalty(logits.clone(), generated, config.repetition_penalty)
    blocked = [vocabulary.pad_id, vocabulary.bos_id, vocabulary.unk_id]
    if len(generated) < config.min_length:
        blocked.append(vocabulary.eos_id)
    logits[blocked] = float("-inf")
    return logits


@torch.no_grad()
def generate_ids(
    model: CommentSeq2Seq,
    source_ids: list[int],
    vocabulary: Vocabulary,
    config: DecodingConfig,
    generator: torch.Generator | None = None,
) -> list[int]:
    """Return the comment ids (without <bos>/<eos>) the model writes for one moment's ids.

    `generator` seeds sampling; greedy and beam search are deterministic.
    """
    if not source_ids:
        raise ValueError("the moment has no tokens to encode")
    model.eval()
    source = torch.tensor([source_ids])
    encoded = model.encode(source, torch.tensor([len(source_ids)]))
    if config.strategy == "beam":
        return _beam_search(model, encoded, vocabulary, config)
    return _greedy_or_sample(model, encoded, vocabulary, config, generator)


def _greedy_or_sample(
    model: CommentSeq2Seq,
    encoded: EncodedMoment,
    vocabulary: Vocabulary,
    config: DecodingConfig,
    generator: torch.Generator | None,
) -> list[int]:
    state = encoded.state
    token = vocabulary.bos_id
    generated: list[int] = []
    for _ in range(config.max_length):
        log_probs, state = model.decode(torch.tensor([[token]]), encoded, state)
        logits = _allowed_logits(log_probs[0, -1], generated, vocabulary, config)  # [vocabulary]

        if config.strategy == "greedy":
            token = int(logits.argmax())
        else:
            logits = filter_top_k_top_p(logits / config.temperature, config.top_k, config.top_p)
            token = int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator))

        if token == vocabulary.eos_id:
            break
        generated.append(token)
    return generated


def _beam_search(
    model: CommentSeq2Seq, encoded: EncodedMoment, vocabulary: Vocabulary, config: DecodingConfig
) -> list[int]:
    """Keep the `beam_size` best partial comments by summed log-probability; rank finished ones by normalised score."""
    beams: list[tuple[list[int], float]] = [([], 0.0)]
    state = encoded.state
    finished: list[tuple[list[int], float]] = []

    for step in range(config.max_length + 1):
        expanded = encoded.expand(len(beams), state)
        last_tokens = torch.tensor([[tokens[-1] if tokens else vocabulary.bos_id] for tokens, _ in beams])
        step_log_probs, state = model.decode(last_tokens, expanded, state)  # [beams, 1, vocabulary]

        log_probs = []
        for row, (tokens, _) in enumerate(beams):
            allowed = _allowed_logits(step_log_probs[row, -1], tokens, vocabulary, config)
            if step == config.max_length:
                # The length limit is reached: the only continuation left is <eos>.
                allowed = torch.full_like(allowed, float("-inf"))
                allowed[vocabulary.eos_id] = 0.0
            log_probs.append(torch.log_softmax(allowed, dim=-1))
        scores = torch.tensor([score for _, score in beams]).unsqueeze(1) + torch.stack(log_probs)  # [beams, vocabulary]

        candidate_count = min(2 * config.beam_size, int(torch.isfinite(scores).sum()))
        top_scores, top_indices = torch.topk(scores.view(-1), candidate_count)
        next_beams, origins = [], []
        for score, flat_index in zip(top_scores.tolist(), top_indices.tolist()):
            origin, token = divmod(flat_index, scores.shape[1])
            tokens = beams[origin][0]
            if token == vocabulary.eos_id:
                finished.append((tokens, score / (len(tokens) + 1) ** config.length_penalty))
            elif len(next_beams) < config.beam_size:
                next_beams.append(([*tokens, token], score))
                origins.append(origin)

        if len(finished) >= config.beam_size or not next_beams:
            break
        beams = next_beams
        state = reorder_state(state, torch.tensor(origins))

    best_tokens, _ = max(finished, key=lambda hypothesis: hypothesis[1])
    return best_tokens
