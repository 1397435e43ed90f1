"""The translator: an rnnkit encoder over the source tokens (bidirectional by default) and a
unidirectional attention decoder of the same cell, width and depth (layers/seq2seq.py)."""

from __future__ import annotations

import dataclasses

from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.seq2seq import AttentionDecoder, Encoder, EncoderDecoder


def decoder_network(config) -> RecurrentConfig:
    """The decoder's layer: the run's network read left to right only."""
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(RecurrentConfig)}
    return RecurrentConfig(**{**fields, "bidirectional": False})


def build_translator(config, source_vocab: int, target_vocab: int) -> EncoderDecoder:
    """`config`: a Seq2SeqConfig (network, embedding size, attention)."""
    encoder = Encoder(config, config.embedding_size, vocab_size=source_vocab)
    decoder = AttentionDecoder(decoder_network(config), target_vocab, config.embedding_size,
                               encoder, config.attention)
    return EncoderDecoder(encoder, decoder)
