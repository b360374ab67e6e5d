"""Print a KRaft cluster id that no command line can read as a flag.

A KRaft cluster id is 16 random bytes in base64url without padding (22 characters). One id in 64
starts with ``-`` (the first six bits all but one set), and ``kafka-storage format -t -Xyz...`` then
reads it as an option and fails. Kafka's own ``Uuid.randomUuid()`` draws again in that case; this does
the same, so the id is safe by construction. Callers also pass it as ``--cluster-id=ID`` (one token),
so even an id that did start with ``-`` could not be taken for a flag.

Used by ``infra/local/up`` (run as a script, stdlib only) and ``tests/integration/faults.py`` (imported).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

__all__ = ["kraft_cluster_id"]


def kraft_cluster_id(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """Return 16 random bytes as unpadded base64url, never starting with ``-`` nor all zero."""
    while True:
        raw = random_bytes(16)
        text = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        if not text.startswith("-") and any(raw):
            return text


if __name__ == "__main__":
    print(kraft_cluster_id())
