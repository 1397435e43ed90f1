"""Figures of outputs against references: BLEU and chrF by sacrebleu (translation), and for
grapheme-to-phoneme conversion the word error rate (share of words whose output matches none of
their pronunciations) and phoneme error rate (edits to the closest pronunciation / its length,
counted by jiwer). Every figure is a percentage."""

from __future__ import annotations

import jiwer
import sacrebleu

SCORES = ("translation", "g2p")


def translation_scores(outputs: list[str], references: list[list[str]]) -> dict:
    """Corpus BLEU and chrF against the first reference of each example."""
    firsts = [refs[0] for refs in references]
    return {"bleu": sacrebleu.corpus_bleu(outputs, [firsts]).score,
            "chrf": sacrebleu.corpus_chrf(outputs, [firsts]).score}


def edits(reference: str, output: str) -> int:
    """Token edits (substitutions, deletions, insertions) from `reference` to `output`."""
    if not output.strip():
        return len(reference.split())
    measured = jiwer.process_words(reference, output)
    return measured.substitutions + measured.deletions + measured.insertions


def g2p_scores(outputs: list[str], references: list[list[str]]) -> dict:
    wrong, errors, length = 0, 0, 0
    for output, refs in zip(outputs, references):
        normal = " ".join(output.split())
        wrong += normal not in {" ".join(r.split()) for r in refs}
        cost, ref = min((edits(r, normal), r) for r in refs)
        errors += cost
        length += len(ref.split())
    return {"wer": 100.0 * wrong / max(len(outputs), 1), "per": 100.0 * errors / max(length, 1)}


def scores(kind: str, outputs: list[str], references: list[list[str]]) -> dict:
    return g2p_scores(outputs, references) if kind == "g2p" else translation_scores(outputs, references)
