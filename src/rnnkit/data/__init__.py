"""Data: reading text, vocabularies, streaming batches for truncated BPTT, bundled datasets."""

from rnnkit.data.batching import StreamBatches, batchify
from rnnkit.data.text import DataError, load_documents, read_text
from rnnkit.data.vocab import Vocabulary

__all__ = ["DataError", "StreamBatches", "Vocabulary", "batchify", "load_documents", "read_text"]
