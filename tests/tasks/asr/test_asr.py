"""The recogniser's pieces: the model's lengths after stacking, reading manifests and folders,
the alphabet's handling of unknown characters, streaming equal to the whole file, and word
timings inside the audio."""

import shutil

import pytest
import torch

from rnnkit.errors import ConfigError, DataError
from rnnkit.run import make_config, open_run, train
from rnnkit.tasks.asr.data import Alphabet, Utterance, check_characters, read_utterances
from rnnkit.tasks.asr.model import AcousticModel
from rnnkit.tasks.asr.task import fits

TINY = {"hidden_size": 16, "num_layers": 1, "max_steps": 4, "eval_every": 2, "batch_size": 4,
        "device": "cpu", "n_mels": 20, "lm_order": 2, "beam": 2}


def manifests(folder):
    return {"data": str(folder / "train.csv"), "valid": str(folder / "valid.csv"),
            "test": str(folder / "test.csv")}


def test_lookahead_puts_the_next_steps_beside_each_step():
    config = make_config("asr", {"hidden_size": 8, "stack": 2, "lookahead": 2,
                                 "bidirectional": False})
    model = AcousticModel(config, 3, 5)
    steps = torch.arange(24.0).view(1, 4, 6)
    seen = model.with_lookahead(steps)
    assert seen.shape == (1, 4, 18)
    torch.testing.assert_close(seen[0, 1], torch.cat([steps[0, 1], steps[0, 2], steps[0, 3]]))
    torch.testing.assert_close(seen[0, 3], torch.cat([steps[0, 3], torch.zeros(12)]))


def test_model_lengths_are_the_frames_after_stacking():
    config = make_config("asr", {"hidden_size": 8, "stack": 3, "n_mels": 10})
    model = AcousticModel(config, 10, 5)
    log_probs, lengths, _ = model(torch.randn(2, 20, 10), torch.tensor([20, 8]))
    assert log_probs.shape == (2, 6, 5) and lengths.tolist() == [6, 2]
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 6))
    assert fits(9, [1, 2, 3], 3) and not fits(8, [1, 2, 3], 3) and not fits(6, [1, 1], 3)


def test_a_folder_and_a_manifest_name_the_same_recordings(spoken, tmp_path):
    from_manifest = read_utterances(spoken / "valid.csv")
    folder = tmp_path / "audio"
    folder.mkdir()
    for i, u in enumerate(from_manifest):
        shutil.copy(u.path, folder / f"{i}.wav")
        (folder / f"{i}.txt").write_text(u.text.upper() + "\n")
    from_folder = read_utterances(folder)
    assert [u.text for u in from_folder] == [u.text for u in from_manifest]  # lowercased
    (folder / "0.txt").unlink()
    with pytest.raises(DataError, match="no transcript 0.txt beside it"):
        read_utterances(folder)


def test_bad_manifests_are_one_line(tmp_path, spoken):
    cases = {"path,words\nx.wav,one\n": "no column 'text'",
             "path,text\nmissing.wav,one\n": "no audio file 'missing.wav'",
             "path,text\n" + str(spoken / "train" / "00000.wav") + ",\n": "empty column 'text'"}
    for text, message in cases.items():
        manifest = tmp_path / "m.csv"
        manifest.write_text(text)
        with pytest.raises(DataError, match=message):
            read_utterances(manifest)


def test_unknown_characters_are_listed_then_skipped_or_refused():
    alphabet = Alphabet.of(["one two"])
    utterances = [Utterance(None, "one"), Utterance(None, "twö!"), Utterance(None, "two")]
    with pytest.raises(DataError, match=r'1 transcripts hold characters outside the alphabet \("!ö"\)'):
        check_characters(utterances, alphabet, "error", "train transcripts")
    kept, skipped = check_characters(utterances, alphabet, "skip", "train transcripts")
    assert [u.text for u in kept] == ["one", "two"] and skipped == 1
    assert alphabet.decode(alphabet.encode("two one")) == "two one"


def test_training_with_an_alphabet_that_lacks_characters(spoken, tmp_path):
    rows = [row.split(",") for row in (spoken / "train.csv").read_text().splitlines()[1:]]
    rows[0][1] = "one two!"  # absolute paths: the manifest is elsewhere
    manifest = tmp_path / "train.csv"
    manifest.write_text("path,text\n" + "".join(f"{spoken / p},{t}\n" for p, t, _ in rows))
    settings = {**TINY, **manifests(spoken), "data": str(manifest), "out": str(tmp_path / "r"),
                "alphabet": "abcdefghijklmnopqrstuvwxyz "}
    with pytest.raises(DataError, match=r'train transcripts: 1 transcripts .* \("!"\)'):
        train("asr", settings)
    assert not (tmp_path / "r").exists()
    summary = train("asr", {**settings, "unknown_characters": "skip"})
    assert summary["checkpoint"] == "best"
    assert open_run(tmp_path / "r").task.alphabet.characters[0] == " "


@pytest.fixture(scope="module")
def streaming_run(spoken, tmp_path_factory):
    out = tmp_path_factory.mktemp("stream") / "run"
    train("asr", {**TINY, **manifests(spoken), "bidirectional": False, "normalise": "global",
                  "lookahead": 2, "max_steps": 6, "out": str(out)})
    return open_run(out)


@pytest.mark.parametrize("chunk_ms", [37.0, 200.0, 1000.0])
def test_the_stream_ends_with_the_whole_files_transcript(streaming_run, spoken, chunk_ms):
    path = spoken / "test" / "00000.wav"
    partials = list(streaming_run.stream(path, chunk_ms))
    (whole,) = streaming_run.transcribe([path])
    assert partials[-1] == whole["text"]
    assert all(b.startswith(a) for a, b in zip(partials, partials[1:]))  # it only grows
    # the model's outputs themselves: fed in pieces with the carried state = the whole file
    task, model = streaming_run.task, streaming_run.model
    from rnnkit.data.audio import read_wav
    frames = task.featuriser(read_wav(path))
    full, _, _ = model(frames[None])
    steps = model.with_lookahead(model.steps(frames[None]))  # each step beside the next two
    state, pieces = None, []
    for start in range(0, steps.shape[1], 4):
        out, _, state = model.recur(steps[:, start : start + 4], None, state)
        pieces.append(out)
    torch.testing.assert_close(torch.cat(pieces, 1), full, atol=1e-5, rtol=0)
    assert steps.shape[2] == 3 * 3 * frames.shape[1]


def test_streaming_needs_a_unidirectional_globally_normalised_model(spoken, tmp_path):
    train("asr", {**TINY, **manifests(spoken), "out": str(tmp_path / "bi")})
    with pytest.raises(ConfigError, match="--no-bidirectional --normalise global"):
        next(open_run(tmp_path / "bi").stream(spoken / "test" / "00000.wav"))


def test_records_carry_n_best_and_word_timings_inside_the_audio(streaming_run, spoken):
    files = [spoken / "test" / f"0000{i}.wav" for i in range(3)]
    records = streaming_run.transcribe(files, beam=4, n_best=2, lm_weight=0.3)
    for record in records:
        assert len(record["n_best"]) == 2 and record["text"] == record["n_best"][0]["text"]
        assert record["n_best"][0]["score"] >= record["n_best"][1]["score"]
        assert [w["word"] for w in record["words"]] == record["text"].split()
        for word in record["words"]:
            assert 0 <= word["start"] < word["end"] <= record["seconds"]


def test_fine_tuning_on_a_users_few_recordings_keeps_the_trained_alphabet(spoken, tmp_path):
    """`--start-from RUN` with a user's handful of recordings, whose transcripts use fewer
    characters than the bundled set: the model keeps the trained run's alphabet (its weights
    need it) and goes on from its weights; a character it never learned is refused by name."""
    base = tmp_path / "base"
    train("asr", {**TINY, **manifests(spoken), "out": str(base)})
    rows = [row.split(",") for row in (spoken / "train.csv").read_text().splitlines()[1:]]
    mine = [(p, t) for p, t, _ in rows if set(t) <= set("one two")][:4] or [(rows[0][0], "one")]
    manifest = tmp_path / "mine.csv"
    manifest.write_text("path,text\n" + "".join(f"{spoken / p},{t}\n" for p, t in mine * 4))
    settings = {**TINY, "valid": str(spoken / "valid.csv"), "data": str(manifest),
                "start_from": str(base), "out": str(tmp_path / "mine")}
    summary = train("asr", settings)
    assert summary["checkpoint"] == "best"
    assert open_run(tmp_path / "mine").task.alphabet.characters == \
        open_run(base).task.alphabet.characters
    manifest.write_text("path,text\n" + "".join(f"{spoken / p},{t}!\n" for p, t in mine * 4))
    with pytest.raises(DataError, match=r'\("!"\)'):
        train("asr", {**settings, "out": str(tmp_path / "refused")})


def test_features_are_kept_and_read_back_instead_of_computed(spoken, tmp_path, monkeypatch):
    """A second run on the same recordings with the same settings reads the cache (no audio is
    read) and gets the very same tensors; another setting computes them anew."""
    import rnnkit.tasks.asr.data as data
    from rnnkit.data.feature_cache import FeatureCache

    utterances = read_utterances(spoken / "valid.csv")
    cache = FeatureCache(tmp_path / "features")
    first = data.features_of(utterances, data.Featuriser(n_mels=20), (0.9, 1.0), cache)
    assert len(list(cache.folder.iterdir())) == 1

    def no_audio(path):
        raise AssertionError(f"read {path} although its features were kept")

    monkeypatch.setattr(data, "read_wav", no_audio)
    again = data.features_of(utterances, data.Featuriser(n_mels=20), (0.9, 1.0), cache)
    for speed in (0.9, 1.0):
        assert all(torch.equal(a, b) for a, b in zip(first[speed], again[speed]))
    with pytest.raises(AssertionError, match="although its features were kept"):
        data.features_of(utterances, data.Featuriser(n_mels=24), (0.9, 1.0), cache)


def test_a_run_keeps_its_features_in_the_cache_folder_unless_told_not_to(spoken, tmp_path):
    for kept, out in ((True, "kept"), (False, "not")):
        cache = tmp_path / f"cache-{out}"
        train("asr", {**TINY, **manifests(spoken), "max_steps": 1, "eval_every": 1,
                      "cache_dir": str(cache), "feature_cache": kept, "out": str(tmp_path / out)})
        assert (cache / "features").is_dir() == kept
        if kept:  # the training set at three speeds, validation, test
            assert len(list((cache / "features").glob("*.safetensors"))) == 3
