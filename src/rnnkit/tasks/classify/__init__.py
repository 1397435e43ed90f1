"""Sequence classification: texts or numeric series to labels, beside a majority baseline."""
