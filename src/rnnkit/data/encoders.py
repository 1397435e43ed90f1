"""Text -> token ids for classification: words, characters, or subwords learned from the data.

Every encoder keeps id 0 for unknown tokens and is saved with the model as JSON. Subwords are a
byte-pair encoding trained on the training texts with Hugging Face `tokenizers` (nothing is
downloaded); a `reversible` one marks word starts as SentencePiece does (▁), so that `decode`
gives the text back with its spaces (what a translation's output needs).
"""

from __future__ import annotations

from rnnkit.data.vocab import Vocabulary, tokenize

TOKENS = ("word", "char", "subword")


class TextEncoder:
    """`encode(text) -> ids`, built from training texts by `build`, saved by `to_json`."""

    def __init__(self, kind: str, lowercase: bool, vocab: Vocabulary | None = None,
                 tokenizer=None) -> None:
        self.kind, self.lowercase, self.vocab, self.tokenizer = kind, lowercase, vocab, tokenizer

    @classmethod
    def build(cls, texts: list[str], kind: str = "word", vocab_size: int = 20000,
              min_count: int = 1, lowercase: bool = True, reversible: bool = False) -> TextEncoder:
        if kind not in TOKENS:
            raise ValueError(f"tokens must be one of {', '.join(TOKENS)}, got {kind!r}")
        if kind == "subword":
            return cls(kind, lowercase,
                       tokenizer=_train_bpe(texts, vocab_size, lowercase, reversible))
        texts = [t.lower() for t in texts] if lowercase else texts
        vocab = Vocabulary.build(texts, kind, max_size=vocab_size, min_count=min_count)
        return cls(kind, lowercase, vocab=vocab)

    def __len__(self) -> int:
        return self.tokenizer.get_vocab_size() if self.tokenizer else len(self.vocab)

    def encode(self, text: str) -> list[int]:
        if self.tokenizer is not None:
            return self.tokenizer.encode(text).ids
        text = text.lower() if self.lowercase else text
        return [i for i, token in zip(self.vocab.encode(text), tokenize(text, self.vocab.level))
                if token != "\n"]

    def pieces(self, text: str) -> list[str]:
        """The tokens `encode` turns into ids, as text (one per id)."""
        if self.tokenizer is not None:
            return self.tokenizer.encode(text).tokens
        text = text.lower() if self.lowercase else text
        return [token for token in tokenize(text, self.vocab.level) if token != "\n"]

    def unknown(self, text: str) -> list[str]:
        """The tokens of `text` outside the vocabulary (they would read as the unknown id)."""
        if self.tokenizer is not None:
            encoding = self.tokenizer.encode(text)
            return [text[a:b] or token for token, i, (a, b) in
                    zip(encoding.tokens, encoding.ids, encoding.offsets) if i == 0]
        return [t for t in self.pieces(text) if t not in self.vocab.index]

    def token(self, i: int) -> str:
        """The token of one id, as text."""
        if self.tokenizer is not None:
            return self.tokenizer.id_to_token(i) or "?"
        return self.vocab.tokens[i]

    def decode(self, ids: list[int]) -> str:
        """Ids back to text (word tokens joined by spaces, characters as they are)."""
        if self.tokenizer is not None:
            return self.tokenizer.decode(ids)
        return self.vocab.decode(ids)

    def to_json(self) -> dict:
        if self.tokenizer is not None:
            return {"kind": self.kind, "lowercase": self.lowercase, "bpe": self.tokenizer.to_str()}
        return {"kind": self.kind, "lowercase": self.lowercase, "vocab": self.vocab.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> TextEncoder:
        if "bpe" in data:
            from tokenizers import Tokenizer

            return cls(data["kind"], data["lowercase"], tokenizer=Tokenizer.from_str(data["bpe"]))
        return cls(data["kind"], data["lowercase"], vocab=Vocabulary.from_json(data["vocab"]))


def _train_bpe(texts: list[str], vocab_size: int, lowercase: bool, reversible: bool = False):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
    tokenizer.normalizer = normalizers.Sequence(steps)
    if reversible:
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer.decoder = decoders.Metaspace()
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"],
                                  show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer
