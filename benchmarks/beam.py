"""Batched beam search vs one sentence at a time (issue: encoder-decoder), same run, same model.

A 1x256 BiLSTM encoder and an LSTM attention decoder (random weights: the cost of decoding
does not depend on what the weights learned, only on the shapes and the lengths decoded, so
every hypothesis is run to the same fixed length by an end token the model never picks) decode
256 sources of 12-30 tokens with a beam of 5: once all together, 256 sentences x 5 beams in
each model step (decoding/beam.py), once sentence by sentence with the same beam. The two
give the same hypotheses (checked); the ratio of their times is the figure.
"""

from __future__ import annotations

import time

import torch

from rnnkit.decoding import search
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.seq2seq import AttentionDecoder, Encoder, EncoderDecoder

V, BEAM, LENGTH = 4000, 5, 30


def model() -> EncoderDecoder:
    torch.manual_seed(0)
    encoder = Encoder(RecurrentConfig(hidden_size=256, bidirectional=True), 128, vocab_size=V)
    decoder = AttentionDecoder(RecurrentConfig(hidden_size=256), V, 128, encoder)
    with torch.no_grad():
        decoder.head.bias[2] = -1e4  # the end token is never chosen: every sentence runs LENGTH
    return EncoderDecoder(encoder, decoder).eval()


def sources(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    lengths = torch.randint(12, 31, (n,), generator=generator)
    tokens = torch.randint(3, V, (n, 30), generator=generator)
    tokens[torch.arange(30)[None] >= lengths[:, None]] = 0
    return tokens, lengths


def run(quick: bool = False) -> str:
    n = 64 if quick else 256
    translator, (tokens, lengths) = model(), sources(n)
    decode = dict(bos=1, eos=2, beam=BEAM, max_length=LENGTH)
    rows = ["| decoding | sentences/s |", "|---|---:|"]
    start = time.perf_counter()
    batched = search(translator, tokens, lengths, **decode)
    batched_s = time.perf_counter() - start
    start = time.perf_counter()
    alone = [search(translator, tokens[i : i + 1, : int(lengths[i])], lengths[i : i + 1],
                    **decode)[0] for i in range(n)]
    alone_s = time.perf_counter() - start
    same = sum(a[0].tokens == b[0].tokens for a, b in zip(batched, alone))
    rows.append(f"| batched ({n} sentences x {BEAM} beams per step) | {n / batched_s:,.1f} |")
    rows.append(f"| one sentence at a time ({BEAM} beams per step) | {n / alone_s:,.1f} |")
    return (f"### Beam search of {BEAM}, {n} sentences, {LENGTH} output tokens each "
            f"(1x256 BiLSTM encoder, LSTM attention decoder, vocabulary {V}, "
            f"{torch.get_num_threads()} threads)\n\n" + "\n".join(rows) +
            f"\n\nbatched / one at a time: **{alone_s / batched_s:.1f}x** "
            f"(same best hypothesis for {same} of {n} sentences)")


if __name__ == "__main__":
    print(run())
