"""The tagger: each word is its (lowercased) word embedding beside a character-level
bidirectional LSTM's final states (so unseen words still get a representation, Lample et al.
2016); a bidirectional rnnkit layer reads the sentence; a linear layer gives per-tag scores,
read by a softmax or by a CRF (Viterbi decoding)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.decoding.viterbi import viterbi
from rnnkit.layers import make_layer
from rnnkit.layers.crf import CRF, allowed_moves
from rnnkit.state import length_mask


class Tagger(nn.Module):
    def __init__(self, config, words: int, chars: int, tags: list[str], scheme: str):
        """`config`: a TagConfig (the network, embedding sizes, character LSTM, output)."""
        super().__init__()
        self.word_embedding = nn.Embedding(words, config.word_embedding_size)
        size = config.word_embedding_size
        self.char_rnn = None
        if config.char_hidden_size:
            self.char_embedding = nn.Embedding(chars, config.char_embedding_size)
            self.char_rnn = make_layer("lstm", config.char_embedding_size, config.char_hidden_size,
                                       bidirectional=True)
            size += 2 * config.char_hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.rnn = config.build(size)
        self.head = nn.Linear(self.rnn.output_size, len(tags))
        self.crf = CRF(len(tags), allowed_moves(tags, scheme)) if config.output == "crf" else None

    def features(self, words: Tensor, chars: Tensor, char_lengths: Tensor) -> Tensor:
        """What the sentence layer reads (B, T, F): each word's embedding beside its spelling."""
        features = [self.word_embedding(words)]
        if self.char_rnn is not None:  # every slot spelled, padding zeroed: no data-dependent shape
            B, T, L = chars.shape
            _, (h, _) = self.char_rnn(self.char_embedding(chars.reshape(B * T, L)),
                                      char_lengths.reshape(B * T).clamp(min=1))
            per_word = h.transpose(0, 1).reshape(B, T, -1)  # (B, T, 2·char_hidden)
            features.append(per_word * (char_lengths > 0).unsqueeze(-1).to(per_word.dtype))
        return self.dropout(torch.cat(features, -1))

    def forward(self, words: Tensor, chars: Tensor, char_lengths: Tensor, lengths: Tensor):
        """The emissions: what timing and export call the model for."""
        return self.emissions(words, chars, char_lengths, lengths)

    def emissions(self, words: Tensor, chars: Tensor, char_lengths: Tensor, lengths: Tensor):
        """Per-tag scores (B, T, tags): words (B, T), chars (B, T, L), char_lengths (B, T)."""
        outputs, _ = self.rnn(self.features(words, chars, char_lengths), lengths)
        return self.head(self.dropout(outputs))

    def loss(self, emissions: Tensor, tags: Tensor, lengths: Tensor) -> Tensor:
        if self.crf is not None:
            return -self.crf.log_likelihood(emissions, tags, lengths).mean()
        valid = length_mask(lengths.to(tags.device), tags.shape[1])
        return F.cross_entropy(emissions[valid], tags[valid])

    def decode(self, emissions: Tensor, lengths: Tensor) -> list[list[int]]:
        if self.crf is not None:
            return viterbi(emissions, lengths, *self.crf.scores())
        best = emissions.argmax(-1).tolist()
        return [row[: int(n)] for row, n in zip(best, lengths)]
