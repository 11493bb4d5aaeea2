"""A deadline for calls into SDKs that have no (or too long a) timeout of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def within(seconds: float, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, or TimeoutError after ``seconds``; the call's errors are re-raised.

    The call runs in a daemon thread that is abandoned on timeout (Python cannot cancel it): use it only for
    read-only calls whose late result may be dropped.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name=f"deadline:{getattr(fn, '__name__', 'call')}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:g}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
