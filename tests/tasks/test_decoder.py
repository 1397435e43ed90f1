"""What the translator and the captioner share: teacher-forced batches (BOS before, EOS after,
the padding ignored by the loss), a side's codec past the special tokens, and the decoder's
network read left to right."""


from rnnkit.data.encoders import TextEncoder
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.decoder import BOS, EOS, IGNORED, PAD, SPECIALS, Side, decoder_network, teacher_batch


def test_a_teacher_batch_shifts_the_targets_and_pads_what_the_loss_ignores():
    source, lengths, target_in, target_out = teacher_batch([[5, 6, 7], [8]], [[9, 10], [11, 12, 13]])
    assert source.tolist() == [[5, 6, 7], [8, PAD, PAD]] and lengths.tolist() == [3, 1]
    assert target_in.tolist() == [[BOS, 9, 10, PAD], [BOS, 11, 12, 13]]
    assert target_out.tolist() == [[9, 10, EOS, IGNORED], [11, 12, 13, EOS]]


def test_a_side_encodes_past_the_specials_and_decodes_back():
    side = Side(TextEncoder.build(["a cat", "a dog"], "word", 100, 1, False, reversible=True))
    ids = side.encode("a dog")
    assert min(ids) >= SPECIALS and side.decode([BOS, *ids, EOS]) == "a dog"
    assert [side.token(i) for i in (PAD, BOS, EOS)] == ["<pad>", "<s>", "</s>"]
    assert len(side) == len(side.encoder) + SPECIALS
    assert Side.from_json(side.to_json()).encode("a cat") == side.encode("a cat")


def test_the_decoder_network_is_the_run_network_read_left_to_right():
    network = RecurrentConfig(cell="gru", hidden_size=12, num_layers=2, bidirectional=True)
    decoder = decoder_network(network)
    assert not decoder.bidirectional
    assert (decoder.cell, decoder.hidden_size, decoder.num_layers) == ("gru", 12, 2)
