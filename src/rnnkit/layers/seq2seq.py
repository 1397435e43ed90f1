"""Encoder-decoder with attention (Luong et al. 2015, input feeding), usable on tensors.

Encoder: any rnnkit layer (deep, bidirectional) over the source (B, S, D) with its lengths; a
bridge maps its last layer's final state (both directions concatenated) to every decoder
layer's initial state: h_0 = tanh(W_b [h→_S; h←_1] + b_b) (and c_0 likewise for an LSTM).

Decoder, one step t (any cell; input feeding):
    x_t  = [E y_{t−1} ; h̃_{t−1}]                the previous token and attentional state
    h_t  = RNN(x_t, state_{t−1})                 the top layer's output
    c_t, a_t = Attention(h_t, encoder outputs)   context and weights over the source
    h̃_t = tanh(W_c [c_t ; h_t])
    p(y_t | y_<t, x) = softmax(W_o h̃_t)
With attention "none" the context is left out (h̃_t = tanh(W_c h_t)): the same network
without attention, the baseline attention is measured against. `forward` runs the steps over a
whole target (teacher forcing, or scheduled sampling); `step` is one step, what a decoder
(greedy, beam search) calls. `EncoderDecoder` joins an encoder (text, or any module giving
outputs and final states, such as a CNN's feature map) to the decoder, and gives decoders the
(step, state, reorder) they drive.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.layers.attention import Attention
from rnnkit.layers.config import RecurrentConfig
from rnnkit.state import map_state, state_leaves


class Encoder(nn.Module):
    """A recurrent encoder of (B, S, D) inputs, or of token ids (B, S) when `vocab_size` is
    given (then `input_size` is the embedding's size)."""

    def __init__(self, network: RecurrentConfig, input_size: int,
                 vocab_size: int | None = None) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, input_size) if vocab_size else None
        self.dropout = nn.Dropout(network.dropout)
        self.rnn = network.build(input_size)
        self.directions = 2 if network.bidirectional else 1
        self.output_size = self.rnn.output_size
        top = self.rnn.cells()[-1]
        self.final_sizes = [self.directions * leaf.shape[-1]  # h, and c for an LSTM
                            for leaf in state_leaves(top.init_state(1, like=torch.zeros(1)))]

    def encode(self, x: Tensor, lengths: Tensor | None = None):
        """(outputs (B, S, K), the final state of every layer and direction (L·K, B, H))."""
        if self.embedding is not None:
            x = self.dropout(self.embedding(x))
        return self.rnn(x, lengths)

    def forward(self, x: Tensor, lengths: Tensor | None = None):
        """(outputs (B, S, K), the last layer's final states (leaves of (B, final_size)))."""
        outputs, final = self.encode(x, lengths)
        K = self.directions
        last = [leaf[-K:].transpose(0, 1).reshape(leaf.shape[1], -1) for leaf in state_leaves(final)]
        return outputs, last


class StateDecoder(nn.Module):
    """A decoder of real-valued steps (a forecaster's horizon): a recurrent layer of the
    encoder's own shape, started from the encoder's final state of every layer, reading each
    step's given inputs; no tokens, no attention."""

    def __init__(self, network: RecurrentConfig, input_size: int) -> None:
        super().__init__()
        if network.bidirectional:
            raise ValueError("a decoder reads left to right: it cannot be bidirectional")
        self.rnn = network.build(input_size)
        self.output_size = self.rnn.output_size

    def forward(self, inputs: Tensor, encoder_state) -> Tensor:
        """Outputs (B, T, H) over the inputs (B, T, D), from the encoder's (L, B, H) state."""
        outputs, _ = self.rnn(inputs, state=encoder_state)
        return outputs


class AttentionDecoder(nn.Module):
    def __init__(self, network: RecurrentConfig, vocab_size: int, embedding_size: int,
                 encoder: Encoder, attention: str = "general") -> None:
        """`encoder`: anything with `output_size` (K) and `final_sizes` (its final leaves');
        `attention`: additive, dot, general, or none."""
        super().__init__()
        if network.bidirectional:
            raise ValueError("a decoder reads left to right: it cannot be bidirectional")
        self.network = network
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.dropout = nn.Dropout(network.dropout)  # on the embeddings and on h̃ before the head
        self.rnn = network.build(embedding_size + network.hidden_size)
        top = self.rnn.cells()[-1].recurrent_size
        self.attention = None if attention == "none" else Attention(attention, top,
                                                                      encoder.output_size)
        context = 0 if self.attention is None else encoder.output_size
        self.combine = nn.Linear(context + top, network.hidden_size)
        self.head = nn.Linear(network.hidden_size, vocab_size)
        leaves = len(state_leaves(self.rnn.initial_state(1, like=torch.zeros(1))))
        sizes = [top, network.hidden_size][:leaves]  # h (projected size for an LSTM), then c
        given = encoder.final_sizes
        self.bridges = nn.ModuleList(nn.Linear(given[min(i, len(given) - 1)], size)
                                     for i, size in enumerate(sizes))

    def initial(self, encoder_final: list[Tensor]):
        """(decoder state (L, B, ·), first attentional state h̃_0 = 0) from the encoder's."""
        template = self.rnn.initial_state(encoder_final[0].shape[0], like=encoder_final[0])
        leaves = [torch.tanh(bridge(encoder_final[min(i, len(encoder_final) - 1)]))
                  for i, bridge in enumerate(self.bridges)]
        L = self.rnn.num_layers
        stacked = [leaf[None].expand(L, *leaf.shape).contiguous() for leaf in leaves]
        state = type(template)(*stacked) if isinstance(template, tuple) else stacked[0]
        feed = encoder_final[0].new_zeros(encoder_final[0].shape[0], self.network.hidden_size)
        return state, feed

    def step(self, tokens: Tensor, state, feed: Tensor, keys: Tensor, lengths: Tensor | None,
             projected: Tensor | None = None):
        """One step for tokens (B,): (logits (B, V), state, h̃ (B, H), weights (B, S) or None
        without attention)."""
        x = torch.cat([self.dropout(self.embedding(tokens)), feed], dim=-1)[:, None]  # (B, 1, E + H)
        out, state = self.rnn(x, state=state)
        if self.attention is None:
            feed = torch.tanh(self.combine(out[:, 0]))
            return self.head(self.dropout(feed)), state, feed, None
        context, weights = self.attention(out[:, 0], keys, lengths, projected)
        feed = torch.tanh(self.combine(torch.cat([context, out[:, 0]], dim=-1)))
        return self.head(self.dropout(feed)), state, feed, weights

    def project_keys(self, keys: Tensor) -> Tensor | None:
        return None if self.attention is None else self.attention.project_keys(keys)

    def forward(self, targets_in: Tensor, encoder_outputs: Tensor, encoder_final: list[Tensor],
                lengths: Tensor | None = None, sampling: float = 0.0,
                generator: torch.Generator | None = None, weights: list | None = None) -> Tensor:
        """Logits (B, T, V) for the target inputs (B, T) (BOS first): teacher forcing, or
        scheduled sampling (Bengio et al. 2015): from step 1 on, each row reads its own previous
        prediction instead of the given token with probability `sampling`. `weights`: a list
        that receives every step's attention weights (B, S)."""
        state, feed = self.initial(encoder_final)
        projected = self.project_keys(encoder_outputs)
        logits = []
        for t in range(targets_in.shape[1]):
            tokens = targets_in[:, t]
            if sampling > 0 and t > 0:
                use_own = torch.rand(tokens.shape, generator=generator) < sampling
                tokens = torch.where(use_own.to(tokens.device), logits[-1].argmax(-1), tokens)
            step_logits, state, feed, step_weights = self.step(tokens, state, feed,
                                                               encoder_outputs, lengths, projected)
            logits.append(step_logits)
            if weights is not None:
                weights.append(step_weights)
        return torch.stack(logits, dim=1)


class EncoderDecoder(nn.Module):
    """An encoder and an attention decoder. `encoder(source, lengths)` gives (outputs (B, S, K),
    final leaves); `lengths` (B,) may be None when every source fills S (an image's feature
    map). `start` and `step` are the decoders' protocol: one row of state per hypothesis."""

    def __init__(self, encoder: nn.Module, decoder: AttentionDecoder) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, source: Tensor, lengths: Tensor | None, targets_in: Tensor,
                sampling: float = 0.0, generator: torch.Generator | None = None,
                weights: list | None = None) -> Tensor:
        """Logits (B, T, V) of the target inputs (teacher forcing or scheduled sampling);
        `weights`: a list that receives every step's attention weights (B, S)."""
        outputs, final = self.encoder(source, lengths)
        return self.decoder(targets_in, outputs, final, lengths, sampling, generator, weights)

    def alignments(self, source: Tensor, lengths: Tensor | None, targets_in: Tensor) -> Tensor:
        """Attention weights (B, T, S) of the decoder reading `targets_in` (none: empty)."""
        outputs, final = self.encoder(source, lengths)
        weights: list = []
        self.decoder(targets_in, outputs, final, lengths, weights=weights)
        if weights[0] is None:
            return outputs.new_zeros(outputs.shape[0], targets_in.shape[1], 0)
        return torch.stack(weights, dim=1)

    def start(self, source: Tensor, lengths: Tensor | None):
        """The decoding state of a batch of sources: (decoder state, h̃, keys, projected keys,
        lengths)."""
        outputs, final = self.encoder(source, lengths)
        if lengths is None:
            lengths = torch.full((outputs.shape[0],), outputs.shape[1], dtype=torch.long)
        state, feed = self.decoder.initial(final)
        return state, feed, outputs, self.decoder.project_keys(outputs), lengths.to(outputs.device)

    def step(self, tokens: Tensor, carried):
        """(log-probabilities (N, V), state) of the next token after `tokens` (N,)."""
        state, feed, keys, projected, lengths = carried
        logits, state, feed, _ = self.decoder.step(tokens.to(keys.device), state, feed, keys,
                                                   lengths, projected)
        return logits.float().log_softmax(-1), (state, feed, keys, projected, lengths)

    @staticmethod
    def reorder(carried, index: Tensor):
        """The rows `index` of a decoding state (the recurrent state's rows are its dim 1)."""
        state, feed, keys, projected, lengths = carried
        index = index.to(keys.device)
        state = map_state(lambda leaf: leaf.index_select(1, index), state)
        projected = None if projected is None else projected.index_select(0, index)
        return (state, feed.index_select(0, index), keys.index_select(0, index), projected,
                lengths.index_select(0, index))
