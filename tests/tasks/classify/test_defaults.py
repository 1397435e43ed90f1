"""The classifier's and the tagger's defaults are the settings of their results tables
(docs/results.md, made by benchmarks/sequence_results.py): a user who runs the command without
tuning gets the published behaviour."""

from benchmarks.sequence_results import SERIES_COMMON, TEXT, UCR, WNUT

from rnnkit.tasks.classify.spec import ClassifyConfig
from rnnkit.tasks.tag.spec import TagConfig


def flags(words: list[str]) -> dict[str, str]:
    return {words[k][2:].replace("-", "_"): words[k + 1] for k in range(0, len(words), 2)}


def test_the_text_classifier_defaults_are_the_rotten_tomatoes_row():
    table, default = flags(TEXT), ClassifyConfig()
    assert default.tokens == table["tokens"] and default.vocab_size == int(table["vocab_size"])
    assert default.lr == float(table["lr"])
    assert default.pooling_for(text=True) == table["pooling"]


def test_the_series_classifier_defaults_follow_most_ucr_rows():
    default = ClassifyConfig()
    rows = [flags(row + SERIES_COMMON) for row in UCR.values()]
    assert all(default.lr == float(row["lr"]) for row in rows)
    pooling = [row.get("pooling", "last") for row in rows]
    assert default.pooling_for(text=False) == max(set(pooling), key=pooling.count) == "last"


def test_the_tagger_defaults_are_the_wnut_row():
    """The WNUT-16 row sets only the data, the folds and its epochs: everything else (CRF,
    word embeddings of 100 beside a character BiLSTM of 25, a 1x128 BiLSTM, Adam 5e-3) is the
    tagger's default."""
    model_flags = set(flags(WNUT)) - {"dataset", "folds", "epochs", "eval_every"}
    assert not model_flags
    default = TagConfig()
    assert (default.output, default.word_embedding_size, default.char_hidden_size,
            default.hidden_size, default.bidirectional, default.optimizer, default.lr) == (
        "crf", 100, 25, 128, True, "adam", 5e-3)
