"""The figures: BLEU and chrF are sacrebleu's; G2P word and phoneme error rates count a word as
right when any of its pronunciations matches and its edits against the closest one."""

import pytest
import sacrebleu

from rnnkit.tasks.seq2seq.metrics import edits, g2p_scores, translation_scores


def test_translation_scores_are_sacrebleus():
    outputs = ["the cat sat on the mat", "a dog barked"]
    references = [["the cat sat on a mat"], ["the dog barked loudly"]]
    got = translation_scores(outputs, references)
    assert got["bleu"] == pytest.approx(sacrebleu.corpus_bleu(outputs, [[r[0] for r in references]]).score)
    assert got["chrf"] == pytest.approx(sacrebleu.corpus_chrf(outputs, [[r[0] for r in references]]).score)
    assert translation_scores(["x y z"], [["x y z"]])["chrf"] == pytest.approx(100.0)


def brute_edits(a: list, b: list) -> int:
    """Levenshtein distance by the textbook table."""
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,
                              table[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return table[-1][-1]


@pytest.mark.parametrize("reference, output", [("R IY D", "R EH D"), ("HH AH L OW", "HH L OW W"),
                                               ("K AE T", ""), ("AH", "AH B C")])
def test_edits_are_the_levenshtein_distance(reference, output):
    assert edits(reference, output) == brute_edits(reference.split(), output.split())


def test_any_pronunciation_counts_and_phoneme_errors_use_the_closest():
    references = [["R IY D", "R EH D"], ["K AE T"], ["D AO G"]]
    outputs = ["R EH D", "K AE", "D AO G"]
    got = g2p_scores(outputs, references)
    assert got["wer"] == pytest.approx(100 / 3)
    assert got["per"] == pytest.approx(100 * 1 / 9)  # one deletion in 3 + 3 + 3 phonemes
