"""Data: reading text, vocabularies, streaming batches for truncated BPTT, bundled datasets."""

from rnnkit.data.batching import StreamBatches, batchify
from rnnkit.data.text import load_documents, read_text
from rnnkit.data.vocab import Vocabulary
from rnnkit.errors import DataError

__all__ = ["DataError", "StreamBatches", "Vocabulary", "batchify", "load_documents", "read_text"]
