"""Text -> token ids for classification: words, characters, or subwords learned from the data.

Every encoder keeps id 0 for unknown tokens and is saved with the model as JSON. Subwords are a
byte-pair encoding trained on the training texts with Hugging Face `tokenizers` (nothing is
downloaded).
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
              min_count: int = 1, lowercase: bool = True) -> TextEncoder:
        if kind not in TOKENS:
            raise ValueError(f"tokens must be one of {', '.join(TOKENS)}, got {kind!r}")
        if kind == "subword":
            return cls(kind, lowercase, tokenizer=_train_bpe(texts, vocab_size, lowercase))
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


def _train_bpe(texts: list[str], vocab_size: int, lowercase: bool):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"],
                                  show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer
