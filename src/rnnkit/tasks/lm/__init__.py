"""Language modelling: character- or word-level, trained by truncated BPTT, with a Kneser-Ney
n-gram baseline and text generation."""
