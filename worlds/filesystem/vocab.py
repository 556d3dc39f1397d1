"""The closed vocabulary drivers draw from, and the config hash that names a dataset.

The oracle accepts any token, name or mode the grammar admits; only the drivers (and the
proposers' tokenizers) are limited to these pools. The hash is computed exactly as the seed does
(first 16 hex digits of the sha256 of the compact, key-sorted JSON of the five fields), so a
dataset made here carries the same `env_config_hash` as one made by the seed (`27dc9fbac2a38833`
for the default "v0" vocabulary).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

DEFAULT_CONTENT_TOKENS: tuple[str, ...] = ("alpha", "beta", "gamma", "delta", "omega")
DEFAULT_MODES: tuple[int, ...] = (0o644, 0o600, 0o755, 0o700)
DEFAULT_ENV_KEYS: tuple[str, ...] = ("PATH", "HOME", "LANG", "TERM")
DEFAULT_NAME_POOL: tuple[str, ...] = ("a", "b", "c", "d", "e", "f", "g", "h")


def _bad_token(text: object) -> bool:
    return not isinstance(text, str) or text == "" or any(ch.isspace() for ch in text)


@dataclass(frozen=True, slots=True)
class FsVocab:
    """Content tokens, modes, env keys and path names the drivers sample from."""

    name: str = "v0"
    content_tokens: tuple[str, ...] = DEFAULT_CONTENT_TOKENS
    modes: tuple[int, ...] = DEFAULT_MODES
    env_keys: tuple[str, ...] = DEFAULT_ENV_KEYS
    name_pool: tuple[str, ...] = DEFAULT_NAME_POOL

    def __post_init__(self) -> None:
        # Each pool must be non-empty and render to text the parser reads back unchanged,
        # otherwise a driver could emit an action that does not round-trip.
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("vocab name must be a non-empty string")
        for field_name in ("content_tokens", "modes", "env_keys", "name_pool"):
            if not isinstance(getattr(self, field_name), tuple) or not getattr(self, field_name):
                raise ValueError(f"vocab {field_name} must be a non-empty tuple")
        for token in self.content_tokens:
            if _bad_token(token):
                raise ValueError(f"content token {token!r} must be non-empty text, no spaces")
        for mode in self.modes:
            if type(mode) is not int or mode < 0:
                raise ValueError(f"mode {mode!r} must be a non-negative int")
        for key in self.env_keys:
            if _bad_token(key) or "=" in key:
                raise ValueError(f"env key {key!r} must be non-empty text without '=' or spaces")
        for seg in self.name_pool:
            if _bad_token(seg) or "/" in seg or seg in (".", ".."):
                raise ValueError(f"name {seg!r} must be one plain path segment")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "content_tokens": list(self.content_tokens),
            "modes": list(self.modes),
            "env_keys": list(self.env_keys),
            "name_pool": list(self.name_pool),
        }

    def config_hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
