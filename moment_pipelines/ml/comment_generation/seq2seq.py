"""A GRU or LSTM encoder-decoder with attention that writes a comment for a moment.

The encoder is a bidirectional RNN over the moment's tokens. The decoder
follows Luong, Pham & Manning, "Effective Approaches to Attention-based
Neural Machine Translation" (2015). At each step the RNN runs first. Then
attention over the encoder outputs gives a context vector, and
tanh(W [rnn output; context]) predicts the next token. Three attention
scores are available: "dot" and "general" from Luong et al., and
"additive" from Bahdanau, Cho & Bengio, "Neural Machine Translation by
Jointly Learning to Align and Translate" (2014).

With `copy_source` the decoder is a pointer-generator (See, Liu & Manning,
"Get To The Point", 2017): a learned gate p_gen mixes the vocabulary
distribution with the attention weights over the moment's tokens, so a word
of the moment can be copied into the comment even when the decoder alone
gives it little probability. Replies often repeat a word of the post.

Padded batches go through the RNNs as packed sequences, so padding never
changes a state. With `tie_embeddings` the output layer reuses the token
embedding matrix (Press & Wolf, 2017), which saves parameters and helps on
small data.
"""

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# A GRU state is one tensor [layers, batch, hidden]; an LSTM state is the pair (h, c).
RNNState = torch.Tensor | tuple[torch.Tensor, torch.Tensor]

# Floor of a mixed probability before the log: keeps the loss finite for a token neither generated nor copied.
_MIN_PROBABILITY = 1e-12


@dataclass
class Seq2SeqConfig:
    vocabulary_size: int  # tokens in the shared vocabulary, special tokens included
    pad_id: int  # id of <pad>; its embedding stays zero
    embedding_dim: int = 128  # width of a token vector, shared by encoder and decoder
    hidden_dim: int = 256  # decoder state width; each encoder direction has hidden_dim // 2
    num_layers: int = 1  # stacked RNN layers in encoder and decoder
    rnn: str = "gru"  # "gru" or "lstm"
    attention: str = "general"  # "dot", "general" or "additive"
    dropout: float = 0.3  # on embeddings, between RNN layers and before the output layer
    tie_embeddings: bool = True  # output layer shares the embedding matrix
    copy_source: bool = True  # pointer-generator: mix in copying tokens of the moment

    def __post_init__(self) -> None:
        if self.rnn not in RNN_CLASSES:
            raise ValueError(f"rnn must be one of {sorted(RNN_CLASSES)}, got {self.rnn!r}")
        if self.attention not in ATTENTION_CLASSES:
            raise ValueError(f"attention must be one of {sorted(ATTENTION_CLASSES)}, got {self.attention!r}")
        if self.hidden_dim % 2:
            raise ValueError(f"hidden_dim must be even to split across two encoder directions, got {self.hidden_dim}")


RNN_CLASSES: dict[str, type[nn.RNNBase]] = {"gru": nn.GRU, "lstm": nn.LSTM}


class Attention(nn.Module):
    """Scores every encoder position for every decoder step and returns the weighted context."""

    def score(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """Return raw scores [batch, steps, source] for query [batch, steps, hidden] and memory [batch, source, hidden]."""
        raise NotImplementedError

    def forward(
        self, query: torch.Tensor, memory: torch.Tensor, source_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.score(query, memory)  # [batch, steps, source]
        scores = scores.masked_fill(~source_mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights, memory)  # [batch, steps, hidden]
        return context, weights


class DotAttention(Attention):
    """score(h, s) = h · s (Luong "dot")."""

    def score(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        return torch.bmm(query, memory.transpose(1, 2))


class GeneralAttention(Attention):
    """score(h, s) = h · W s (Luong "general")."""

    def __init__(self, hidden_dim: int):
        super().__init__()
        self.weight = nn.Linear(hidden_dim, hidden_dim, bias=False)

    def score(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        return torch.bmm(query, self.weight(memory).transpose(1, 2))


class AdditiveAttention(Attention):
    """score(h, s) = v · tanh(W h + U s) (Bahdanau)."""

    def __init__(self, hidden_dim: int):
        super().__init__()
        self.query_weight = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.memory_weight = nn.Linear(hidden_dim, hidden_dim, bias=True)
        self.vector = nn.Linear(hidden_dim, 1, bias=False)

    def score(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        projected_query = self.query_weight(query).unsqueeze(2)  # [batch, steps, 1, hidden]
        projected_memory = self.memory_weight(memory).unsqueeze(1)  # [batch, 1, source, hidden]
        return self.vector(torch.tanh(projected_query + projected_memory)).squeeze(-1)  # [batch, steps, source]


ATTENTION_CLASSES: dict[str, type[Attention]] = {
    "dot": DotAttention,
    "general": GeneralAttention,
    "additive": AdditiveAttention,
}


def _make_attention(name: str, hidden_dim: int) -> Attention:
    attention_class = ATTENTION_CLASSES[name]
    return attention_class() if attention_class is DotAttention else attention_class(hidden_dim)


def _merge_directions(state: torch.Tensor) -> torch.Tensor:
    """Turn a bidirectional state [layers * 2, batch, hidden / 2] into [layers, batch, hidden]."""
    layers_times_two, batch, half = state.shape
    state = state.view(layers_times_two // 2, 2, batch, half)
    return torch.cat([state[:, 0], state[:, 1]], dim=-1)


def reorder_state(state: RNNState, index: torch.Tensor) -> RNNState:
    """Pick batch rows `index` from a GRU or LSTM state (beam search reorders its hypotheses this way)."""
    if isinstance(state, tuple):
        return tuple(part.index_select(1, index) for part in state)
    return state.index_select(1, index)


@dataclass
class EncodedMoment:
    source: torch.Tensor  # [batch, source] moment ids, which the copy mechanism points at
    memory: torch.Tensor  # [batch, source, hidden] encoder output at every position
    source_mask: torch.Tensor  # [batch, source] True at real tokens, False at padding
    state: RNNState  # initial decoder state, [layers, batch, hidden] (a pair for LSTM)

    def expand(self, count: int, state: RNNState) -> "EncodedMoment":
        """Repeat a single encoded moment `count` times with a new decoder state (beam search)."""
        return EncodedMoment(
            source=self.source.expand(count, -1),
            memory=self.memory.expand(count, -1, -1),
            source_mask=self.source_mask.expand(count, -1),
            state=state,
        )


class CommentSeq2Seq(nn.Module):
    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.config = config
        rnn_class = RNN_CLASSES[config.rnn]
        between_layers = config.dropout if config.num_layers > 1 else 0.0

        self.embedding = nn.Embedding(config.vocabulary_size, config.embedding_dim, padding_idx=config.pad_id)
        self.dropout = nn.Dropout(config.dropout)
        self.encoder = rnn_class(
            config.embedding_dim,
            config.hidden_dim // 2,
            num_layers=config.num_layers,
            dropout=between_layers,
            batch_first=True,
            bidirectional=True,
        )
        self.decoder = rnn_class(
            config.embedding_dim, config.hidden_dim, num_layers=config.num_layers, dropout=between_layers, batch_first=True
        )
        self.attention = _make_attention(config.attention, config.hidden_dim)
        self.combine = nn.Linear(2 * config.hidden_dim, config.embedding_dim)
        self.output = nn.Linear(config.embedding_dim, config.vocabulary_size)
        if config.tie_embeddings:
            self.output.weight = self.embedding.weight
        # p_gen is computed from the attentional vector and the decoder input.
        self.copy_gate = nn.Linear(2 * config.embedding_dim, 1) if config.copy_source else None

    def encode(self, source: torch.Tensor, source_lengths: torch.Tensor) -> EncodedMoment:
        """Run the encoder over padded moment ids [batch, source] with their true lengths [batch]."""
        embedded = self.dropout(self.embedding(source))  # [batch, source, embedding]

        packed = pack_padded_sequence(embedded, source_lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_memory, final_state = self.encoder(packed)
        memory, _ = pad_packed_sequence(packed_memory, batch_first=True, total_length=source.shape[1])  # [batch, source, hidden]

        if isinstance(final_state, tuple):
            state = tuple(_merge_directions(part) for part in final_state)
        else:
            state = _merge_directions(final_state)  # [layers, batch, hidden]
        return EncodedMoment(source=source, memory=memory, source_mask=source != self.config.pad_id, state=state)

    def decode(
        self,
        target_input: torch.Tensor,
        encoded: EncodedMoment,
        state: RNNState,
        target_lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, RNNState]:
        """Return next-token log-probabilities [batch, steps, vocabulary] for inputs [batch, steps], and the new state.

        With `target_lengths` the inputs are packed, so padded steps never
        touch the state; without them every step is run (one-step decoding).
        """
        embedded = self.dropout(self.embedding(target_input))  # [batch, steps, embedding]

        if target_lengths is None:
            outputs, state = self.decoder(embedded, state)  # [batch, steps, hidden]
        else:
            packed = pack_padded_sequence(embedded, target_lengths.cpu(), batch_first=True, enforce_sorted=False)
            packed_outputs, state = self.decoder(packed, state)
            outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=target_input.shape[1])

        context, weights = self.attention(outputs, encoded.memory, encoded.source_mask)  # [batch, steps, hidden]

        attentional = torch.tanh(self.combine(torch.cat([outputs, context], dim=-1)))  # [batch, steps, embedding]
        logits = self.output(self.dropout(attentional))  # [batch, steps, vocabulary]
        if self.copy_gate is None:
            return torch.log_softmax(logits, dim=-1), state

        generate_probability = torch.sigmoid(self.copy_gate(torch.cat([attentional, embedded], dim=-1)))  # [batch, steps, 1]
        batch, steps, source_length = weights.shape
        copy_distribution = torch.zeros_like(logits).scatter_add_(
            2, encoded.source.unsqueeze(1).expand(batch, steps, source_length), weights
        )  # [batch, steps, vocabulary]: attention weight summed per moment token
        probabilities = generate_probability * torch.softmax(logits, dim=-1) + (1 - generate_probability) * copy_distribution
        return torch.log(probabilities.clamp_min(_MIN_PROBABILITY)), state

    def forward(
        self,
        source: torch.Tensor,
        source_lengths: torch.Tensor,
        target_input: torch.Tensor,
        target_lengths: torch.Tensor,
    ) -> torch.Tensor:
        """Teacher forcing: decoder inputs are the reference comment shifted right (<bos> first); returns log-probabilities."""
        encoded = self.encode(source, source_lengths)
        log_probs, _ = self.decode(target_input, encoded, encoded.state, target_lengths)
        return log_probs
