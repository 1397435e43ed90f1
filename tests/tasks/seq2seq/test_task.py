"""The encoder-decoder task: padding never changes the training loss, the codecs see only the
training pairs, too-long pairs are skipped or refused, and a short run learns a reversal."""

import json

import pytest
import torch
import torch.nn.functional as F

from rnnkit.config import load_config
from rnnkit.errors import DataError
from rnnkit.run import open_run, prepare, train
from rnnkit.tasks.decoder import IGNORED, teacher_batch
from rnnkit.tasks.seq2seq.spec import Seq2SeqConfig


def reversal_file(path, n=400, seed=0, letters="abcdef"):
    generator = torch.Generator().manual_seed(seed)
    lines = []
    for _ in range(n):
        length = int(torch.randint(2, 7, (1,), generator=generator))
        word = "".join(letters[int(i)] for i in torch.randint(len(letters), (length,),
                                                               generator=generator))
        lines.append(f"{word}\t{word[::-1]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def config(tmp_path, **changes):
    settings = {"data": str(reversal_file(tmp_path / "pairs.tsv")), "source_tokens": "char",
                "target_tokens": "char", "hidden_size": 16, "embedding_size": 8,
                "max_steps": 4, "eval_every": 4, "out": str(tmp_path / "run"), "beam": 2}
    return load_config(Seq2SeqConfig, None, {**settings, **changes})


def test_a_padded_batch_has_the_loss_of_its_sentences_one_at_a_time(tmp_path, float64):
    setup = prepare("seq2seq", config(tmp_path, dropout=0.0))
    task, model = setup.task, setup.model.double().eval()
    setup.close()
    chosen = list(range(6))
    sources = [task.train_sources[i] for i in chosen]
    targets = [task.train_targets[i] for i in chosen]
    assert len({len(s) for s in sources}) > 1  # the batch really is padded

    def summed(batch_sources, batch_targets):
        source, lengths, target_in, target_out = teacher_batch(batch_sources, batch_targets)
        logits = model(source, lengths, target_in)
        return F.cross_entropy(logits.flatten(0, 1), target_out.flatten(), ignore_index=IGNORED,
                               reduction="sum")

    together = summed(sources, targets)
    alone = sum(summed([s], [t]) for s, t in zip(sources, targets))
    torch.testing.assert_close(together, alone)


def test_codecs_are_fitted_on_the_training_pairs_only(tmp_path):
    valid = tmp_path / "valid.tsv"
    valid.write_text("xyz\tzyx\n", encoding="utf-8")
    setup = prepare("seq2seq", config(tmp_path, valid=str(valid)))
    setup.close()
    assert setup.task.source.encoder.unknown("xyz") == ["x", "y", "z"]
    assert setup.task.source.encoder.unknown("abc") == []


def test_too_long_pairs_are_skipped_and_counted_or_refused(tmp_path):
    setup = prepare("seq2seq", config(tmp_path, max_length=4))
    setup.close()
    kept = len(setup.task.train_sources)
    assert setup.task.skipped > 0 and kept + setup.task.skipped == len(setup.task.parts["train"])
    assert max(len(s) for s in setup.task.train_sources) <= 4
    with pytest.raises(DataError, match=r"line \d+: \d+ tokens, more than --max-length 4"):
        prepare("seq2seq", config(tmp_path, max_length=4, too_long="error", overwrite=True))


def test_copying_the_source_is_the_baseline_and_figures_are_reported(tmp_path):
    summary = train("seq2seq", config(tmp_path))
    assert summary["baseline"]["copy_source"]["chrf"] < 100
    for key in ("loss", "greedy_chrf", "chrf", "copy_source"):
        assert key in summary["valid"]
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["steps"] == 4
    assert (tmp_path / "run" / "attention.png").stat().st_size > 0


@pytest.mark.slow
def test_it_learns_to_reverse_words_and_beam_search_reads_them_back(tmp_path):
    settings = {"hidden_size": 64, "embedding_size": 32, "max_steps": 0, "epochs": 30,
                "eval_every": 200, "batch_size": 32, "lr": 0.005, "dropout": 0.0,
                "label_smoothing": 0.0}
    summary = train("seq2seq", config(tmp_path, **settings))
    run = open_run(summary["run"])
    words = ["abcdef", "fade", "cab", "bead", "deaf"]
    found = [r["translation"] for r in run.translate(texts=words, beam=3)]
    assert sum(f == w[::-1] for f, w in zip(found, words)) >= 4, found
    assert summary["valid"]["chrf"] > summary["valid"]["copy_source"]["chrf"] + 30


def test_lowercase_applies_to_the_source_only(tmp_path):
    data = tmp_path / "upper.tsv"
    data.write_text("Ab\tXY\nbA\tYX\n" * 5, encoding="utf-8")
    setup = prepare("seq2seq", config(tmp_path, data=str(data), lowercase=True))
    setup.close()
    source, target = setup.task.source, setup.task.target
    assert source.encode("AB") == source.encode("ab") and not source.encoder.unknown("AB")
    assert target.encoder.unknown("xy") == ["x", "y"] and target.decode(target.encode("XY")) == "XY"
