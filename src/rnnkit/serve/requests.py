"""The JSON bodies the service reads, typed: a field of the wrong type, out of its range or
missing is answered 422 with what was wrong, before any model runs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Generate(Body):
    prime: str = Field("", max_length=10_000, description="text to start from")
    length: int = Field(200, ge=0, le=5_000, description="tokens to generate")
    temperature: float = Field(1.0, ge=0.0, le=10.0, description="0 is greedy")
    top_k: int = Field(0, ge=0, description="sample from the k likeliest (0: all)")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="nucleus sampling mass")
    seed: int | None = Field(None, ge=0, description="random seed (none: a fresh draw)")


class Texts(Body):
    texts: list[str] = Field(..., min_length=1, max_length=1_000,
                             description="one input per text (classify); tokens separated by "
                             "spaces (tag)")
    top: int = Field(3, ge=1, le=100, description="classify: the likeliest labels returned")


class Forecast(Body):
    csv: str = Field(..., min_length=1, description="the series as CSV text, in the columns "
                     "the model was trained on")
    horizon: int | None = Field(None, ge=1, le=10_000, description="steps ahead (default: the "
                                "model's)")


class Translate(Body):
    texts: list[str] = Field(..., min_length=1, max_length=200)
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
    samples: list[float] = Field(default_factory=list, max_length=16_000 * 30,
                                 description="the next 16 kHz samples in [-1, 1]")
    final: bool = Field(False, description="the audio ends with this chunk")
