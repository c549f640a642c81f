"""The measurement points (what `--points` accepts, what the quick and full modes run) and the
client pacings (`--pacing`)."""
import re
from dataclasses import dataclass

CONNECT_RATE_WORKERS = 8
IDLE_CONNECTIONS = 10_000
HTTP_CONNECTIONS = 100


@dataclass(frozen=True)
class Point:
    name: str          # as written on the command line and in the report
    kind: str          # echo | tls | proxy | connect-rate | idle | http
    connections: int   # echo/tls/proxy/idle/http: connections; connect-rate: parallel workers
    size: int          # bytes per message (http: 0, the response is the server's)

    @property
    def paced(self):
        """Whether loadgen's echo loop drives this point, so that `--pacing` applies."""
        return self.kind in ("echo", "tls", "proxy")

    @property
    def label(self):
        if self.kind in ("echo", "tls", "proxy"):
            size = f"{self.size // 1024} KiB" if self.size % 1024 == 0 else f"{self.size} B"
            prefix = {"tls": "TLS 1.3 ", "proxy": "proxy, "}.get(self.kind, "")
            return f"{prefix}{self.connections:,} x {size}"
        if self.kind == "connect-rate":
            return f"connect, echo {self.size} B, close; {self.connections} workers"
        if self.kind == "http":
            return f"HTTP GET, {self.connections:,} connections"
        return f"{self.connections:,} idle connections"


def parse(text):
    """'100x64', 'tls-100x4096', 'proxy-100x64', 'connect-rate' (or 'connect-rate-8'), 'idle' (or
    'idle-10000'), 'http' (or 'http-100')."""
    text = text.strip()
    if m := re.fullmatch(r"(tls-|proxy-)?(\d+)x(\d+)", text):
        kind = {"tls-": "tls", "proxy-": "proxy"}.get(m.group(1), "echo")
        return Point(text, kind, int(m.group(2)), int(m.group(3)))
    if m := re.fullmatch(r"connect-rate(?:-(\d+))?", text):
        workers = int(m.group(1) or CONNECT_RATE_WORKERS)
        return Point(f"connect-rate-{workers}", "connect-rate", workers, 64)
    if m := re.fullmatch(r"idle(?:-(\d+))?", text):
        count = int(m.group(1) or IDLE_CONNECTIONS)
        return Point(f"idle-{count}", "idle", count, 64)
    if m := re.fullmatch(r"http(?:-(\d+))?", text):
        count = int(m.group(1) or HTTP_CONNECTIONS)
        return Point(f"http-{count}", "http", count, 0)
    raise ValueError(f"not a point: {text!r} (examples: 100x64, 1000x4096, tls-100x4096, proxy-100x64, connect-rate, "
                     "idle, http)")


FULL = [f"{c}x{s}" for c in (1, 100, 1000, 10_000) for s in (64, 4096)] + ["tls-100x4096", "connect-rate", "idle"]
QUICK = ["100x64", "1000x4096", "connect-rate"]
# `--http`: not in the full mode, since it needs the examples jar and measures another protocol.
HTTP = [f"http-{HTTP_CONNECTIONS}"]
# `--proxy`: loadgen through a proxy to the C echo server; not in the full mode either (the examples
# jar's `proxy` against HAProxy, other rows than the echo table's).
PROXY = ["proxy-100x64", "proxy-100x4096"]


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


@dataclass(frozen=True)
class Pacing:
    """How loadgen's echo loop paces its connections. A ratio that holds for one client's rhythm
    only is not a result, so a run can measure every point under two."""
    name: str
    threads: int

    def loadgen_args(self):
        return ["-t", str(self.threads)]

    @property
    def description(self):
        if self.threads == 1:
            return "one epoll loop drives every connection (loadgen -t 1; every earlier table)"
        # Measured at 100 and 1,000 x 4 KiB against glisten and Netty: 1.3-6x the client's sleeps per
        # round trip of one loop, and the loops preempt each other, so answers meet a client more often asleep.
        return (f"{self.threads} epoll loops on the client's one core, each owning 1/{self.threads} of the "
                f"connections (loadgen -t {self.threads}): fewer ready sockets per wait, more sleeps and wake-ups")


PACING_THREADS = 4


def pacings(choice, threads=PACING_THREADS):
    """`--pacing single|threads|both` as Pacing values, in the order each round runs them."""
    single, several = Pacing("single", 1), Pacing("threads", threads)
    return {"single": [single], "threads": [several], "both": [single, several]}[choice]
