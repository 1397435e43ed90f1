"""The attention encoder-decoder: padding never changes a logit, the decoder never reads ahead
of its step, gradients equal finite differences (float64), and its step drives beam search."""

import pytest
import torch

from rnnkit.decoding import beam_search
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.seq2seq import AttentionDecoder, Encoder, EncoderDecoder

V, E, D = 7, 5, 4


def model(cell="lstm", bidirectional=True, attention="general", **options):
    torch.manual_seed(0)
    encoder = Encoder(RecurrentConfig(cell=cell, hidden_size=6 if bidirectional else 8,
                                      num_layers=2, bidirectional=bidirectional, **options), D)
    decoder = AttentionDecoder(RecurrentConfig(cell=cell, hidden_size=8, num_layers=2), V, E,
                               encoder, attention)
    return encoder.eval(), decoder.eval()


def logits_of(encoder, decoder, x, lengths, targets):
    outputs, final = encoder(x, lengths)
    return decoder(targets, outputs, final, lengths)


@pytest.mark.parametrize("cell, attention", [("lstm", "general"), ("gru", "additive"),
                                             ("rnn", "dot"), ("lstm", "additive")])
def test_a_source_alone_or_in_a_padded_batch_gets_the_same_logits(cell, attention, float64):
    # dot attention needs the decoder's h as wide as the encoder's output
    encoder, decoder = (model(cell, bidirectional=False, attention="dot") if attention == "dot"
                        else model(cell, attention=attention))
    x = torch.randn(3, 6, D)
    lengths = torch.tensor([6, 2, 4])
    targets = torch.randint(0, V, (3, 5))
    together = logits_of(encoder, decoder, x, lengths, targets)
    for b in range(3):
        n = int(lengths[b])
        alone = logits_of(encoder, decoder, x[b : b + 1, :n], lengths[b : b + 1], targets[b : b + 1])
        torch.testing.assert_close(together[b : b + 1], alone)


def test_the_decoder_never_reads_ahead(float64):
    encoder, decoder = model()
    x, lengths = torch.randn(2, 5, D), torch.tensor([5, 3])
    targets = torch.randint(0, V, (2, 6))
    changed = targets.clone()
    changed[:, 3:] = (changed[:, 3:] + 1) % V
    a = logits_of(encoder, decoder, x, lengths, targets)
    b = logits_of(encoder, decoder, x, lengths, changed)
    torch.testing.assert_close(a[:, :3], b[:, :3])  # step t reads target inputs up to t only
    assert not torch.allclose(a[:, 3:], b[:, 3:])


def test_gradients_equal_finite_differences(float64):
    encoder, decoder = model(proj_size=3)
    targets = torch.randint(0, V, (2, 3))
    lengths = torch.tensor([4, 2])

    def loss(x):
        return logits_of(encoder, decoder, x, lengths, targets).log_softmax(-1).sum()

    assert torch.autograd.gradcheck(loss, (torch.randn(2, 4, D, requires_grad=True),))


def reorder(state, index):
    """A recurrent state (h, c) of shape (L, N, H): rows on the second dimension."""
    return type(state)(*(leaf.index_select(1, index) for leaf in state))


def decode(encoder, decoder, x, lengths, beam):
    outputs, final = encoder(x, lengths)
    state, feed = decoder.initial(final)
    B = x.shape[0]

    def step(tokens, carried):
        (state, feed, keys, lens) = carried
        logits, state, feed, _ = decoder.step(tokens, state, feed, keys, lens)
        return logits.log_softmax(-1), (state, feed, keys, lens)

    def pick(carried, index):
        (state, feed, keys, lens) = carried
        return reorder(state, index), feed[index], keys[index], lens[index]

    with torch.no_grad():
        return beam_search(step, (state, feed, outputs, lengths), B, bos=0, eos=1, beam=beam,
                           max_length=6, reorder=pick, n_best=1)


def test_beam_one_is_the_greedy_loop_and_batches_decode_alike(float64):
    encoder, decoder = model()
    x, lengths = torch.randn(3, 5, D), torch.tensor([5, 2, 4])
    found = decode(encoder, decoder, x, lengths, beam=1)
    with torch.no_grad():
        outputs, final = encoder(x[:1], lengths[:1])
        state, feed = decoder.initial(final)
        token, greedy = torch.tensor([0]), []
        for _ in range(6):
            logits, state, feed, _ = decoder.step(token, state, feed, outputs, lengths[:1])
            token = logits.argmax(-1)
            if int(token) == 1:
                break
            greedy.append(int(token))
    assert found[0][0].tokens == greedy
    wide = decode(encoder, decoder, x, lengths, beam=3)
    for b in range(3):
        alone = decode(encoder, decoder, x[b : b + 1, : int(lengths[b])], lengths[b : b + 1], 3)
        assert wide[b][0].tokens == alone[0][0].tokens
        assert wide[b][0].score == pytest.approx(alone[0][0].score)


def test_a_decoder_is_not_bidirectional():
    encoder = Encoder(RecurrentConfig(hidden_size=4), D)
    with pytest.raises(ValueError, match="cannot be bidirectional"):
        AttentionDecoder(RecurrentConfig(hidden_size=4, bidirectional=True), V, E, encoder)


def reversal_batch(n, generator):
    """Sources of 3-5 symbols (one-hot), targets their reversal then EOS (BOS 0, EOS 1)."""
    lengths = torch.randint(3, 6, (n,), generator=generator)
    source = torch.randint(2, V, (n, 5), generator=generator)
    targets_in = torch.zeros(n, 6, dtype=torch.long)
    targets_out = torch.full((n, 6), -100)
    for i, length in enumerate(lengths.tolist()):
        reversed_ = source[i, :length].flip(0)
        targets_in[i, 1 : length + 1] = reversed_
        targets_out[i, :length], targets_out[i, length] = reversed_, 1
    return torch.nn.functional.one_hot(source, V).float(), lengths, targets_in, targets_out


@pytest.mark.slow
def test_it_learns_to_reverse_a_sequence():
    """A task no memoryless model solves: beam search then reads back every test reversal."""
    torch.manual_seed(0)
    encoder = Encoder(RecurrentConfig(hidden_size=32, bidirectional=True), V)
    decoder = AttentionDecoder(RecurrentConfig(hidden_size=32), V, 16, encoder)
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=0.01)
    generator = torch.Generator().manual_seed(1)
    for _ in range(300):
        x, lengths, targets_in, targets_out = reversal_batch(32, generator)
        logits = logits_of(encoder, decoder, x, lengths, targets_in)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets_out.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    x, lengths, _, _ = reversal_batch(50, torch.Generator().manual_seed(2))
    found = decode(encoder.eval(), decoder.eval(), x, lengths, beam=3)
    right = [found[i][0].tokens == x[i, : int(n)].argmax(-1).flip(0).tolist()
             for i, n in enumerate(lengths)]
    assert sum(right) >= 45


def translator(attention="general", dropout=0.0):
    torch.manual_seed(0)
    encoder = Encoder(RecurrentConfig(hidden_size=6, bidirectional=True, dropout=dropout), E,
                      vocab_size=V)
    decoder = AttentionDecoder(RecurrentConfig(hidden_size=8, dropout=dropout), V, E, encoder,
                               attention)
    return EncoderDecoder(encoder, decoder).eval()


def test_without_attention_the_source_reaches_the_decoder_only_through_the_bridge(float64):
    model = translator("none")
    source, lengths = torch.randint(3, V, (2, 5)), torch.tensor([5, 5])
    targets = torch.randint(0, V, (2, 4))
    changed = source.clone()
    changed[:, 1] = (changed[:, 1] + 1) % V
    a, b = model(source, lengths, targets), model(changed, lengths, targets)
    assert not torch.allclose(a, b)  # through the encoder's final state
    assert model.alignments(source, lengths, targets).shape == (2, 4, 0)
    assert model.decoder.attention is None


def test_alignments_are_distributions_over_each_sources_own_tokens(float64):
    model = translator()
    source, lengths = torch.randint(3, V, (3, 6)), torch.tensor([6, 2, 4])
    with torch.no_grad():
        weights = model.alignments(source, lengths, torch.randint(0, V, (3, 5)))  # (B, T, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 5))
    assert float(weights[1, :, 2:].abs().max()) == 0.0 and float(weights[2, :, 4:].abs().max()) == 0.0


def test_scheduled_sampling_of_one_feeds_back_the_models_own_predictions(float64):
    model = translator()
    source, lengths = torch.randint(3, V, (2, 4)), torch.tensor([4, 3])
    targets = torch.randint(0, V, (2, 5))
    sampled = model(source, lengths, targets, sampling=1.0)
    fed = targets.clone()  # the manual loop: step t reads the argmax of step t - 1
    for t in range(1, 5):
        fed[:, t] = model(source, lengths, fed[:, :t]).argmax(-1)[:, -1]
    torch.testing.assert_close(sampled, model(source, lengths, fed))
    torch.testing.assert_close(model(source, lengths, targets, sampling=0.0),
                               model(source, lengths, targets))


def test_reorder_picks_rows_of_every_part_of_the_decoding_state(float64):
    model = translator()
    source, lengths = torch.randint(3, V, (3, 5)), torch.tensor([5, 2, 4])
    state = model.start(source, lengths)
    index = torch.tensor([2, 0, 0])
    picked = model.reorder(state, index)
    direct = model.start(source[index], lengths[index])
    tokens = torch.tensor([1, 4, 5])
    torch.testing.assert_close(model.step(tokens, picked)[0], model.step(tokens, direct)[0])
