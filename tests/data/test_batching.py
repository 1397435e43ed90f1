"""The batchified token stream for truncated BPTT: layout, windows, document starts."""


import torch

from rnnkit.data import StreamBatches, batchify
from rnnkit.data.batching import concatenate


def test_batchify_layout_and_windows():
    ids = torch.arange(11)
    assert batchify(ids, 2).tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    starts = torch.zeros(11, dtype=torch.bool)
    starts[7] = True
    batches = StreamBatches(ids, starts, batch_size=2, bptt=3)
    assert len(batches) == 2
    x, y, resets = batches.window(0)
    assert x.tolist() == [[0, 1, 2], [5, 6, 7]] and y.tolist() == [[1, 2, 3], [6, 7, 8]]
    assert resets.tolist() == [[False] * 3, [False, False, True]]
    x, y, _ = batches.window(1)
    assert x.tolist() == [[3], [8]] and y.tolist() == [[4], [9]]


def test_concatenate_marks_document_starts():
    ids, starts = concatenate([[1, 2], [3], [4, 5]])
    assert ids.tolist() == [1, 2, 3, 4, 5]
    assert starts.tolist() == [False, False, True, True, False]
