"""Tables, long-format series, .ts files, scaling, length buckets, CoNLL, encoders, folds."""

import pytest
import torch

from rnnkit.data.buckets import bucket_batches, pad, padding_share
from rnnkit.data.conll import detect_scheme, format_conll, read_conll
from rnnkit.data.encoders import TextEncoder
from rnnkit.data.scaling import Scaler
from rnnkit.data.series import from_long_table, load_ucr, read_ts
from rnnkit.data.splits import k_fold
from rnnkit.data.tables import read_table
from rnnkit.errors import DataError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tables_in_three_formats(tmp_path):
    csv = read_table(write(tmp_path, "a.csv", 'text,label\n"good, really",pos\nbad,neg\n'))
    tsv = read_table(write(tmp_path, "a.tsv", "text\tlabel\ngood, really\tpos\nbad\tneg\n"))
    jsonl = read_table(write(tmp_path, "a.jsonl", '{"text": "good, really", "label": "pos"}\n'
                             '\n{"text": "bad", "label": "neg"}\n'))
    for table in (csv, tsv, jsonl):
        assert table.column("text") == ["good, really", "bad"]
        assert table.column("label") == ["pos", "neg"]


@pytest.mark.parametrize("name, text, column, expected", [
    ("a.csv", "review,label\nok,pos\n", "text", "no text column 'text'; the columns are: review, label"),
    ("a.csv", "text,label\nok,pos\nfine,\n", "label", "line 3: empty label column 'label'"),
    ("a.csv", "text,label\nok,pos,extra\n", "text", "line 2: 3 fields where the header has 2"),
    ("a.jsonl", '{"text": "a"}\nnot json\n', "text", "line 2: not valid JSON"),
    ("a.csv", "text,label\n", "text", "a header but no rows"),
])
def test_table_errors_name_the_problem(tmp_path, name, text, column, expected):
    with pytest.raises(DataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        table = read_table(write(tmp_path, name, text))
        table.column(column, what=f"{column} column")


def test_long_format_orders_by_time_and_checks_cells(tmp_path):
    text = "id,t,x,y,label\nb,2,5,6,B\na,1,1,2,A\nb,1,3,4,B\na,0,0,0,A\na,2,2,4,A\n"
    table = read_table(write(tmp_path, "s.csv", text))
    series, labels, ids, columns = from_long_table(table, "id", "t", None, "label")
    assert ids == ["b", "a"] and labels == ["B", "A"] and columns == ["x", "y"]
    assert series[0].tolist() == [[3, 4], [5, 6]]
    assert series[1].tolist() == [[0, 0], [1, 2], [2, 4]]
    gap = read_table(write(tmp_path, "g.csv", "id,t,x,label\na,0,1,A\na,1,,A\n"))
    with pytest.raises(DataError, match=r"g.csv line 3: column 'x' holds an empty cell \(a gap\)"):
        from_long_table(gap, "id", "t", None, "label")
    word = read_table(write(tmp_path, "w.csv", "id,t,x,label\na,0,1,A\na,1,high,A\n"))
    with pytest.raises(DataError, match="w.csv line 3: column 'x' holds 'high', not a number"):
        from_long_table(word, "id", "t", None, "label")
    mixed = read_table(write(tmp_path, "m.csv", "id,t,x,label\na,0,1,A\na,1,2,B\n"))
    with pytest.raises(DataError, match="series 'a' has more than one label"):
        from_long_table(mixed, "id", "t", None, "label")


def test_ts_files_parse_multivariate_variable_length(tmp_path):
    path = write(tmp_path, "x.ts", "#comment\n@problemName x\n@classLabel true a b\n@data\n"
                 "1,2,3:4,5,6:a\n7,8:9,10:b\n")
    series, labels, _ = read_ts(path)
    assert labels == ["a", "b"]
    assert series[0].tolist() == [[1, 4], [2, 5], [3, 6]] and series[1].shape == (2, 2)
    bad = write(tmp_path, "bad.ts", "@data\n1,?,3:a\n")
    with pytest.raises(DataError, match="line 2"):
        read_ts(bad)


def test_bundled_ucr_sets_have_their_official_splits():
    gun = load_ucr("gunpoint")
    assert len(gun["train"][0]) == 50 and len(gun["test"][0]) == 150
    assert gun["train"][0][0].shape == (150, 1)
    vowels = load_ucr("japanesevowels")
    assert len(vowels["train"][0]) == 270 and vowels["train"][0][0].shape[1] == 12
    assert len({s.shape[0] for s in vowels["train"][0]}) > 1  # variable length


def test_scaler_is_per_channel():
    series = [torch.tensor([[0.0, 10.0], [2.0, 30.0]]), torch.tensor([[4.0, 20.0]])]
    scaler = Scaler.fit_channels(series)
    torch.testing.assert_close(scaler.mean, torch.tensor([2.0, 20.0]))
    scaled = scaler(torch.cat(series))
    torch.testing.assert_close(scaled.mean(0), torch.zeros(2), atol=1e-6, rtol=0)
    torch.testing.assert_close(scaled.std(0, unbiased=False), torch.ones(2))
    assert Scaler.from_json(scaler.to_json()).mean.tolist() == scaler.mean.tolist()


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


def test_conll_reading_writing_and_ragged_lines(tmp_path):
    path = write(tmp_path, "a.conll", "-DOCSTART- O\n\nJohn NNP B-PER\nruns VBZ O\n\t\n"
                 "Paris NNP B-LOC\n")
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [["John", "runs"], ["Paris"]]
    assert sentences[0].tags == ["B-PER", "O"] and sentences[0].extra == [["NNP"], ["VBZ"]]
    assert format_conll(sentences, [["B-PER", "O"], ["O"]]).splitlines()[0] == "John\tNNP\tB-PER"
    ragged = write(tmp_path, "r.conll", "John B-PER\nruns\n")
    with pytest.raises(DataError, match="r.conll line 2: 1 columns where the file's lines have 2"):
        read_conll(ragged)
    assert detect_scheme([["B-PER", "I-PER", "O"]]) == "bio"
    assert detect_scheme([["S-PER", "O"]]) == "bioes"
    assert detect_scheme([["NN", "VB"]]) == "none"


def test_k_fold_partitions():
    held = [k_fold(23, 5, f, seed=0)[1] for f in range(5)]
    assert sorted(i for h in held for i in h) == list(range(23))
    train, test = k_fold(23, 5, 2, seed=0)
    assert not set(train) & set(test) and len(train) + len(test) == 23


@pytest.mark.parametrize("kind", ["word", "char", "subword"])
def test_encoders_map_unknowns_to_zero_and_round_trip(kind):
    texts = ["the cat sat on the mat", "a dog sat on a log"] * 5
    encoder = TextEncoder.build(texts, kind, vocab_size=60)
    ids = encoder.encode("The cat sat")
    assert ids and 0 not in ids
    assert 0 in encoder.encode("zzqx ψ")
    assert TextEncoder.from_json(encoder.to_json()).encode("the dog") == encoder.encode("the dog")
