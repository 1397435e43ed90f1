"""Seeded splits: k folds partition the data; the hold-out is stratified."""


from rnnkit.data.splits import k_fold


def test_k_fold_partitions():
    held = [k_fold(23, 5, f, seed=0)[1] for f in range(5)]
    assert sorted(i for h in held for i in h) == list(range(23))
    train, test = k_fold(23, 5, 2, seed=0)
    assert not set(train) & set(test) and len(train) + len(test) == 23
