"""The translator: an rnnkit encoder over the source tokens (bidirectional by default) and a
unidirectional attention decoder of the same cell, width and depth (layers/seq2seq.py)."""

from __future__ import annotations

from rnnkit.layers.seq2seq import AttentionDecoder, Encoder, EncoderDecoder
from rnnkit.tasks.decoder import decoder_network


def build_translator(config, source_vocab: int, target_vocab: int) -> EncoderDecoder:
    """`config`: a Seq2SeqConfig (network, embedding size, attention)."""
    encoder = Encoder(config, config.embedding_size, vocab_size=source_vocab)
    decoder = AttentionDecoder(decoder_network(config), target_vocab, config.embedding_size,
                               encoder, config.attention)
    return EncoderDecoder(encoder, decoder)
