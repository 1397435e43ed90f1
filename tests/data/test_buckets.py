"""Length buckets: every sequence once per epoch, less padding than shuffled batches."""


import torch

from rnnkit.data.buckets import bucket_batches, pad, padding_share


def test_buckets_cover_everything_once_with_less_padding():
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 200, (1000,)).tolist()
    bucketed = bucket_batches(lengths, 16, generator)
    plain = bucket_batches(lengths, 16, generator, buckets=False)
    for batches in (bucketed, plain):
        assert sorted(i for b in batches for i in b) == list(range(1000))
    assert padding_share(bucketed, lengths) < 0.1 < padding_share(plain, lengths)
    x, n = pad([torch.ones(2), torch.ones(3)])
    assert x.tolist() == [[1, 1, 0], [1, 1, 1]] and n.tolist() == [2, 3]
