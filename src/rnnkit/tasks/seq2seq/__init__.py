"""Encoder-decoders with attention: translation, grapheme-to-phoneme, any text to text,
decoded by greedy or batched beam search."""
