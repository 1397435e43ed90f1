"""The text of a language-model run: read, split into training / validation / test, streamed."""

from __future__ import annotations

from rnnkit.data.batching import StreamBatches, concatenate
from rnnkit.data.shakespeare import load_shakespeare
from rnnkit.data.text import load_documents
from rnnkit.data.vocab import Vocabulary
from rnnkit.errors import DataError

PARTS = ("training", "validation", "test")


def read_corpus(config) -> list[str]:
    """The documents of --data (a file or folder) or of a bundled --dataset."""
    if (config.data is None) == (config.dataset is None):
        raise DataError("give exactly one of --data FILE_OR_FOLDER and --dataset NAME")
    if config.dataset:
        return load_shakespeare(config.dataset)
    return load_documents(config.data, config.encoding)


def documents_given(data) -> list[str]:
    """The documents of a language model's text given from Python: {"train": a text, or a list
    of texts}; held-out parts are split off it by the config's fractions, as from a file."""
    if not isinstance(data, dict) or set(data) != {"train"}:
        raise DataError("a language model's data from Python is {\"train\": text or a list of "
                        "texts} (the held-out parts are split off it)")
    given = data["train"]
    documents = [given] if isinstance(given, str) else given
    if not isinstance(documents, (list, tuple)) or not all(isinstance(d, str) for d in documents):
        raise DataError(f"data['train'] must be a text or a list of texts, got "
                        f"{type(given).__name__}")
    documents = [d for d in documents if d.strip()]
    if not documents:
        raise DataError("data['train'] holds no text")
    return list(documents)


def split_documents(documents: list[str], valid: float, test: float):
    """Contiguous split of the whole text: the first part trains, then validation, then test.
    Documents are cut where the split falls, so each part keeps its own document starts."""
    total = sum(len(d) for d in documents)
    bounds = [int(total * (1 - valid - test)), int(total * (1 - test)), total]
    parts: list[list[str]] = [[], [], []]
    position = 0
    for doc in documents:
        start = 0
        for part, bound in enumerate(bounds):
            end = min(len(doc), max(0, bound - position))
            if end > start:
                parts[part].append(doc[start:end])
                start = end
        position += len(doc)
    return parts


def check_corpus(ids_count: int, batch_size: int, bptt: int, name: str) -> None:
    """A corpus must fill at least one window of every row."""
    if ids_count < batch_size * (bptt + 1):
        raise DataError(
            f"the {name} text has {ids_count} tokens, fewer than one window of {bptt + 1} tokens "
            f"for each of {batch_size} rows; use a longer text or smaller --batch-size/--bptt"
        )


def held_out_stream(ids, starts, batch_size: int, bptt: int, name: str) -> StreamBatches:
    """Batches of a held-out text: as many rows as fill a window each, at most batch_size."""
    rows = max(1, min(batch_size, ids.shape[0] // (bptt + 1)))
    check_corpus(ids.shape[0], rows, bptt, name)
    return StreamBatches(ids, starts, rows, bptt)


def streams(parts: list[list[str]], vocab: Vocabulary, batch_size: int, bptt: int) -> dict:
    """{part name: StreamBatches} of the parts that hold text; training must."""
    out = {}
    for name, docs in zip(PARTS, parts):
        if not docs:
            continue
        ids, starts = concatenate([vocab.encode(d) for d in docs])
        if name == "training":
            check_corpus(ids.shape[0], batch_size, bptt, name)
            out[name] = StreamBatches(ids, starts, batch_size, bptt)
        else:
            out[name] = held_out_stream(ids, starts, batch_size, bptt, name)
    if "training" not in out:
        raise DataError("no training text left after the validation/test split")
    return out


def text_stream(documents: list[str], vocab: Vocabulary, batch_size: int, bptt: int,
                name: str = "evaluation") -> tuple[StreamBatches, int, int]:
    """(stream, tokens, unknown tokens) of a text to evaluate on."""
    ids, starts = concatenate([vocab.encode(d) for d in documents])
    unknown = int((ids == vocab.unknown_id).sum())
    return held_out_stream(ids, starts, batch_size, bptt, name), int(ids.shape[0]), unknown
