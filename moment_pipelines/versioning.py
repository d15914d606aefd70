"""Code versions derived from definition text, so an edit changes the version by itself."""

import hashlib


def definition_version(*parts: str) -> str:
    """Return a short stable hash of the definition text `parts`."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:12]
