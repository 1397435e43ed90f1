"""The JSON bodies the service reads, typed: a field of the wrong type, out of its range or
missing is answered 422 with what was wrong, before any model runs."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from rnnkit.config import SEED_LIMIT

MAX_WORDS = 1_000  # words in one text: a longer line is a document to split, not a sentence


def within_words(text: str) -> str:
    if len(text.split()) > MAX_WORDS:
        raise ValueError(f"a text may hold at most {MAX_WORDS} words")
    return text


Sentence = Annotated[str, Field(max_length=20_000), AfterValidator(within_words)]


def plain_text(value):
    """`value` with every string checked to be text that UTF-8 can hold (JSON's \\ud800
    escapes make lone surrogates, which no model or answer can carry)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the text holds a lone surrogate (\\ud800-\\udfff), which is not "
                             "a character") from None
    elif isinstance(value, list):
        for item in value:
            plain_text(item)
    return value


class Body(BaseModel):
    """Unknown fields, NaN and Infinity, and lone surrogates are all refused (422)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def no_surrogates(cls, value):
        return plain_text(value)


class Generate(Body):
    prime: str = Field("", max_length=10_000, description="text to start from")
    length: int = Field(200, ge=0, le=5_000, description="tokens to generate")
    temperature: float = Field(1.0, ge=0.0, le=10.0, description="0 is greedy")
    top_k: int = Field(0, ge=0, le=1_000_000, description="sample from the k likeliest (0: all)")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="nucleus sampling mass")
    seed: int | None = Field(None, ge=0, le=SEED_LIMIT,
                             description="random seed (none: a fresh draw)")


class Texts(Body):
    texts: list[Sentence] = Field(..., min_length=1, max_length=1_000,
                             description="one input per text (classify); tokens separated by "
                             "spaces (tag)")
    top: int = Field(3, ge=1, le=100, description="classify: the likeliest labels returned")


class Forecast(Body):
    csv: str = Field(..., min_length=1, description="the series as CSV text, in the columns "
                     "the model was trained on")
    horizon: int | None = Field(None, ge=1, le=10_000, description="steps ahead (default: the "
                                "model's)")


class Translate(Body):
    texts: list[Sentence] = Field(..., min_length=1, max_length=200,
                                  description=f"sentences of at most {MAX_WORDS} words")
    beam: int = Field(5, ge=1, le=64)
    n_best: int = Field(1, ge=1, le=64)


class Audio(Body):
    audio_base64: str = Field(..., min_length=1, description="a WAV file, base64-encoded")
    beam: int = Field(1, ge=1, le=128)


class Image(Body):
    image_base64: str = Field(..., min_length=1, description="a PNG or JPEG image, base64-encoded")
    beam: int = Field(3, ge=1, le=64)


class TextChunk(Body):
    text: str = Field("", max_length=100_000, description="the next piece of text")
    top: int = Field(5, ge=1, le=100)


class AudioChunk(Body):
    samples: list[Annotated[float, Field(ge=-1.0, le=1.0)]] = Field(
        default_factory=list, max_length=16_000 * 30,
        description="the next 16 kHz samples in [-1, 1]")
    final: bool = Field(False, description="the audio ends with this chunk")
