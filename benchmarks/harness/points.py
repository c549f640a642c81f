"""The measurement points: what `--points` accepts and what the quick and full modes run."""
import re
from dataclasses import dataclass

CONNECT_RATE_WORKERS = 8
IDLE_CONNECTIONS = 10_000


@dataclass(frozen=True)
class Point:
    name: str          # as written on the command line and in the report
    kind: str          # echo | tls | connect-rate | idle
    connections: int   # echo/tls/idle: connections; connect-rate: parallel workers
    size: int          # bytes per message

    @property
    def label(self):
        if self.kind in ("echo", "tls"):
            size = f"{self.size // 1024} KiB" if self.size % 1024 == 0 else f"{self.size} B"
            return f"{'TLS 1.3 ' if self.kind == 'tls' else ''}{self.connections:,} x {size}"
        if self.kind == "connect-rate":
            return f"connect, echo {self.size} B, close; {self.connections} workers"
        return f"{self.connections:,} idle connections"


def parse(text):
    """'100x64', 'tls-100x4096', 'connect-rate' (or 'connect-rate-8'), 'idle' (or 'idle-10000')."""
    text = text.strip()
    if m := re.fullmatch(r"(tls-)?(\d+)x(\d+)", text):
        return Point(text, "tls" if m.group(1) else "echo", int(m.group(2)), int(m.group(3)))
    if m := re.fullmatch(r"connect-rate(?:-(\d+))?", text):
        workers = int(m.group(1) or CONNECT_RATE_WORKERS)
        return Point(f"connect-rate-{workers}", "connect-rate", workers, 64)
    if m := re.fullmatch(r"idle(?:-(\d+))?", text):
        count = int(m.group(1) or IDLE_CONNECTIONS)
        return Point(f"idle-{count}", "idle", count, 64)
    raise ValueError(f"not a point: {text!r} (examples: 100x64, 1000x4096, tls-100x4096, connect-rate, idle)")


FULL = [f"{c}x{s}" for c in (1, 100, 1000, 10_000) for s in (64, 4096)] + ["tls-100x4096", "connect-rate", "idle"]
QUICK = ["100x64", "1000x4096", "connect-rate"]


@dataclass(frozen=True)
class Mode:
    name: str
    rounds: int
    warmup_s: float
    duration_s: float
    points: tuple


MODES = {
    # About two minutes with every server: for development, never for publishing.
    "quick": Mode("quick", rounds=1, warmup_s=2, duration_s=4, points=tuple(QUICK)),
    # The published table: every point, every server, three alternating rounds.
    "full": Mode("full", rounds=3, warmup_s=3, duration_s=10, points=tuple(FULL)),
}
