"""Request and response bodies of the HTTP API, and the size limits a server enforces.

Types and ranges are checked by pydantic (→ 422 with the field's location); sizes are checked
by the route against `Limits` (→ 413), since an oversized request is well-formed but too big.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class Limits:
    """What one request may carry; beyond it the server answers 413."""

    max_texts: int = 64
    max_text_chars: int = 10_000
    max_labels: int = 100
    max_label_chars: int = 100


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[str] = Field(..., min_length=1, description="Texts to tag.")
    labels: list[Annotated[str, Field(min_length=1)]] = Field(
        ..., min_length=1, description='Entity types, e.g. ["person", "city"].'
    )
    threshold: float | None = Field(None, ge=0.0, le=1.0, description="Decoding threshold; default: the model's.")
    flat: bool = Field(True, description="No overlapping entities (false: nested entities allowed).")


class Entity(BaseModel):
    start: int = Field(..., description="Character offset of the first character.")
    end: int = Field(..., description="Character offset just past the last character.")
    text: str
    label: str
    score: float


class ExtractResponse(BaseModel):
    entities: list[list[Entity]] = Field(..., description="One list per input text, in input order.")


class Health(BaseModel):
    status: str
    backend: str
    requests: int = Field(..., description="Extraction requests answered since start.")
    batches: int = Field(..., description="Model calls made for them (fewer when requests were micro-batched).")
