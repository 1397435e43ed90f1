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
`forward` runs the steps over a whole target (teacher forcing); `step` is one step, what a
decoder (greedy, beam search) calls.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.layers.attention import Attention
from rnnkit.layers.config import RecurrentConfig
from rnnkit.state import state_leaves


class Encoder(nn.Module):
    def __init__(self, network: RecurrentConfig, input_size: int) -> None:
        super().__init__()
        self.rnn = network.build(input_size)
        self.directions = 2 if network.bidirectional else 1
        self.output_size = self.rnn.output_size
        top = self.rnn.cells()[-1]
        self.final_sizes = [self.directions * leaf.shape[-1]  # h, and c for an LSTM
                            for leaf in state_leaves(top.init_state(1, like=torch.zeros(1)))]

    def forward(self, x: Tensor, lengths: Tensor | None = None):
        """(outputs (B, S, K), the last layer's final states (leaves of (B, final_size)))."""
        outputs, final = self.rnn(x, lengths)
        K = self.directions
        last = [leaf[-K:].transpose(0, 1).reshape(leaf.shape[1], -1) for leaf in state_leaves(final)]
        return outputs, last


class AttentionDecoder(nn.Module):
    def __init__(self, network: RecurrentConfig, vocab_size: int, embedding_size: int,
                 encoder: Encoder, attention: str = "general") -> None:
        super().__init__()
        if network.bidirectional:
            raise ValueError("a decoder reads left to right: it cannot be bidirectional")
        self.network = network
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.rnn = network.build(embedding_size + network.hidden_size)
        top = self.rnn.cells()[-1].recurrent_size
        self.attention = Attention(attention, top, encoder.output_size)
        self.combine = nn.Linear(encoder.output_size + top, network.hidden_size)
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
        """One step for tokens (B,): (logits (B, V), state, h̃ (B, H), weights (B, S))."""
        x = torch.cat([self.embedding(tokens), feed], dim=-1)[:, None]  # (B, 1, E + H)
        out, state = self.rnn(x, state=state)
        context, weights = self.attention(out[:, 0], keys, lengths, projected)
        feed = torch.tanh(self.combine(torch.cat([context, out[:, 0]], dim=-1)))
        return self.head(feed), state, feed, weights

    def forward(self, targets_in: Tensor, encoder_outputs: Tensor, encoder_final: list[Tensor],
                lengths: Tensor | None = None) -> Tensor:
        """Teacher forcing: logits (B, T, V) for the target inputs (B, T) (BOS first)."""
        state, feed = self.initial(encoder_final)
        projected = self.attention.project_keys(encoder_outputs)
        logits = []
        for t in range(targets_in.shape[1]):
            step_logits, state, feed, _ = self.step(targets_in[:, t], state, feed,
                                                    encoder_outputs, lengths, projected)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)
