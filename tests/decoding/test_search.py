"""`search` decodes any encoder-decoder through start/step/reorder: padding never changes what
beam search finds, a beam of 1 is greedy, and impossible settings are one clear error."""

import pytest
import torch

from rnnkit.decoding import search
from rnnkit.errors import ConfigError
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.seq2seq import AttentionDecoder, Encoder, EncoderDecoder

V = 9


def translator(attention="general", cell="lstm"):
    torch.manual_seed(0)
    encoder = Encoder(RecurrentConfig(cell=cell, hidden_size=6, bidirectional=True, num_layers=2),
                      5, vocab_size=V)
    decoder = AttentionDecoder(RecurrentConfig(cell=cell, hidden_size=8, num_layers=2), V, 5,
                               encoder, attention)
    return EncoderDecoder(encoder, decoder).eval()


@pytest.mark.parametrize("attention, cell", [("general", "lstm"), ("additive", "gru"),
                                             ("none", "lstm")])
def test_a_padded_batch_finds_what_each_source_finds_alone(attention, cell, float64):
    model = translator(attention, cell)
    lengths = torch.tensor([5, 2, 4])
    source = torch.randint(3, V, (3, 5))
    source[1, 2:] = 0
    source[2, 4:] = 0
    batch = search(model, source, lengths, bos=1, eos=2, beam=4, n_best=3, max_length=8)
    for b in range(3):
        n = int(lengths[b])
        alone = search(model, source[b : b + 1, :n], lengths[b : b + 1], bos=1, eos=2, beam=4,
                       n_best=3, max_length=8)[0]
        assert [h.tokens for h in batch[b]] == [h.tokens for h in alone]
        assert [h.score for h in batch[b]] == pytest.approx([h.score for h in alone])


def test_beam_one_is_greedy(float64):
    model = translator()
    source, lengths = torch.randint(3, V, (4, 6)), torch.tensor([6, 3, 5, 1])
    greedy = search(model, source, lengths, bos=1, eos=2, beam=1, max_length=9)
    with torch.no_grad():
        state = model.start(source, lengths)
        tokens, outputs = torch.full((4,), 1), [[] for _ in range(4)]
        ended = [False] * 4
        for _ in range(9):
            log_probs, state = model.step(tokens, state)
            tokens = log_probs.argmax(-1)
            for b in range(4):
                if not ended[b] and int(tokens[b]) != 2:
                    outputs[b].append(int(tokens[b]))
                ended[b] = ended[b] or int(tokens[b]) == 2
    assert [h[0].tokens for h in greedy] == outputs


@pytest.mark.parametrize("beam, n_best, message", [(0, 1, "--beam"), (3, 4, "--n-best"),
                                                   (2, 0, "--n-best")])
def test_impossible_beam_settings_are_config_errors(beam, n_best, message):
    with pytest.raises(ConfigError, match=message):
        search(translator(), torch.ones(1, 2, dtype=torch.long), None, bos=1, eos=2, beam=beam,
               n_best=n_best)
