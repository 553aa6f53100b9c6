"""The ``[plugins.compress]`` table: which codings, at what levels, for which answers."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from gateway import COMPRESSIBLE_TYPES, LEVEL_RANGES, STREAM_LEVELS, PluginSettings

Coding = Literal["zstd", "br", "gzip"]

_MEDIA_PATTERN = re.compile(r"^[a-z0-9*][a-z0-9!#$&^_.+*-]*/[a-z0-9*][a-z0-9!#$&^_.+*-]*$")

_DEFAULT_CODINGS: tuple[Coding, ...] = ("zstd", "br", "gzip")
_DEFAULT_LEVELS: dict[Coding, int] = {c: STREAM_LEVELS[c] for c in _DEFAULT_CODINGS}


class CompressSettings(PluginSettings):
    # The codings offered, in the server's order of preference: among those the client
    # weighs highest (Accept-Encoding q-values), the first listed here wins.
    codings: list[Coding] = Field(default_factory=lambda: list(_DEFAULT_CODINGS), min_length=1)
    # Per coding: gzip 1-9, br 0-11, zstd 1-19. Fast levels by default: answers are
    # compressed on every request.
    levels: dict[Coding, int] = Field(default_factory=lambda: dict(_DEFAULT_LEVELS))
    # Answers built in memory smaller than this (bytes) are sent as they are: the coding's
    # own framing eats most of the gain. Streamed answers have no size to compare.
    min_size: int = Field(1024, ge=0)
    # Media types compressed (patterns: "text/*", "application/*+json"); others (images,
    # archives, already compressed formats) pass untouched.
    types: list[str] = Field(default_factory=lambda: list(COMPRESSIBLE_TYPES), min_length=1)

    @field_validator("codings")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("list each coding once")
        return value

    @field_validator("types")
    @classmethod
    def _media_types(cls, value: list[str]) -> list[str]:
        lowered = [pattern.strip().lower() for pattern in value]
        for pattern in lowered:
            if not _MEDIA_PATTERN.match(pattern):
                raise ValueError(
                    f"{pattern!r} is not a media type: write type/subtype, with * for any "
                    'part ("text/*", "application/json", "application/*+json")'
                )
        return lowered

    @model_validator(mode="after")
    def _levels_in_range(self) -> CompressSettings:
        for coding, level in self.levels.items():
            low, high = LEVEL_RANGES[coding]
            if not low <= level <= high:
                raise ValueError(
                    f"levels.{coding} = {level} is out of range: {coding} takes {low} to {high}"
                )
        self.levels = {**_DEFAULT_LEVELS, **self.levels}
        return self
