"""Sequence tagging: CoNLL files to tags, softmax or CRF output, entity F1."""
