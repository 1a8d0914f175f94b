"""What both interop scripts share: the check that prints or fails, a free
loopback port, FIX UTC timestamps, and the list that keeps QuickFIX's
engines and applications alive."""

import socket
from datetime import datetime, timezone

# QuickFIX's C++ engines call back into their Python Application; if Python
# frees either before the engine is gone, the process crashes. Keep every
# engine and application alive until exit.
KEEP_ALIVE = []


class Failure(Exception):
    """A check failed."""


def check(condition, what, detail=""):
    if not condition:
        raise Failure(f"{what}: {detail}" if detail else what)
    print(f"  ok  {what}" + (f" ({detail})" if detail else ""), flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]
