"""The servers under test: how each is started, with which JVM flags, and how it is stopped."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from . import build

# ---------------------------------------------------------------------------------------------
# JVM flags. Every JVM server gets JVM_COMMON_FLAGS (one heap size for all, so idle memory and GC
# work compare) and one collector's flags from GC_FLAGS (`bench --gc`); each row adds its own below.
# The glisten row's flags live in GLISTEN_JVM_FLAGS only: that is the one place to tune them
# (jdk.virtualThreadScheduler.parallelism, jdk.readPollers, ...). Log every change and what it gave in docs/BENCHMARKS.md, "Tuning log".
# ---------------------------------------------------------------------------------------------

JVM_COMMON_FLAGS = [
    "-Xms1g", "-Xmx1g",       # fixed heap, identical for every JVM server; no pre-touch, so RSS shows what is used
]

# Explicit either way, so no row differs. Serial is what the JVM picks by itself on one CPU and what
# every earlier table used, so it stays the default; G1 is what most deployments run (more than one
# CPU, or the JDK's choice for servers), and its barriers and concurrent work cost more per allocation.
GC_FLAGS = {
    "serial": ["-XX:+UseSerialGC"],
    "g1": ["-XX:+UseG1GC"],
}
DEFAULT_GC = "serial"

# None yet: the JDK's defaults, which on the one CPU the server is pinned to mean one carrier thread
# (jdk.virtualThreadScheduler.parallelism=1) and the default poller settings.
GLISTEN_JVM_FLAGS = []

# JDK 24+ restricts sun.misc.Unsafe memory access; Netty 4.2 falls back to slower paths without this.
NETTY_JVM_FLAGS_JDK24 = ["--sun-misc-unsafe-memory-access=allow"]

THREADS_JVM_FLAGS = []


class Server:
    """One row of the table: a name, how to start it, what it speaks (echo or http), whether it can serve TLS."""

    def __init__(self, name, description, jar_name=None, extra_flags=(), tls=False, c_binary=None,
                 protocol="echo", jar=build.JAR, haproxy=False):
        self.name = name
        self.description = description
        self.jar_name = jar_name    # the jar's subcommand
        self.jar = jar
        self.extra_flags = list(extra_flags)
        self.tls = tls
        self.c_binary = c_binary
        self.protocol = protocol    # echo | http | proxy (relays to an upstream echo server)
        self.haproxy = haproxy      # HAProxy in TCP mode, configured by haproxy_config()

    @property
    def jvm(self):
        return self.jar_name is not None

    def jvm_flags(self, java_version, gc=DEFAULT_GC):
        flags = list(JVM_COMMON_FLAGS) + GC_FLAGS[gc] + list(self.extra_flags)
        if self.name.startswith("netty") and java_version >= 24:
            flags += NETTY_JVM_FLAGS_JDK24
        return flags

    def command(self, java, java_version, bind, tls_files=None, gc=DEFAULT_GC, upstream="127.0.0.1:UPSTREAM",
                config="haproxy.cfg"):
        """The command line; a proxy row relays to `upstream` (HOST:PORT), HAProxy reads `config`."""
        if self.haproxy:
            return [shutil.which("haproxy") or "haproxy", "-f", config, "-db"]
        if self.c_binary:
            return [os.path.join(build.C_OUT, self.c_binary), "--port", "0", "--bind", bind]
        command = [java, *self.jvm_flags(java_version, gc), "-jar", self.jar, self.jar_name, "--port", "0",
                   "--bind", bind]
        if tls_files:
            command += ["--tls-cert", tls_files[0], "--tls-key", tls_files[1]]
        if self.protocol == "proxy":
            command += ["--upstream", upstream]
        return command


SERVERS = {s.name: s for s in [
    Server("c-epoll", "single-threaded C epoll echo (the machine's limit)", c_binary="echo_epoll"),
    Server("glisten", "this library, README echo, virtual thread per connection", jar_name="glisten",
           extra_flags=GLISTEN_JVM_FLAGS, tls=True),
    Server("netty-epoll", "Netty 4.2, native epoll, 1 boss + 1 worker event loop", jar_name="netty-epoll", tls=True),
    Server("netty-nio", "Netty 4.2, NIO, 1 boss + 1 worker event loop", jar_name="netty-nio"),
    Server("netty-epoll-2", "Netty 4.2, native epoll, 1 boss + 2 worker event loops", jar_name="netty-epoll-2"),
    Server("threads", "platform thread per connection, blocking java.net.Socket", jar_name="threads",
           extra_flags=THREADS_JVM_FLAGS),
    # The HTTP point (wrk). glisten's row is the examples jar's `http` example, started as a user would
    # start it, with the glisten row's JVM flags.
    Server("glisten-http", "glisten's `http` example (examples jar), virtual thread per connection",
           jar_name="http", jar=build.EXAMPLES_JAR, extra_flags=GLISTEN_JVM_FLAGS, protocol="http"),
    Server("netty-http", "Netty 4.2 HTTP/1.1 hello world (HttpServerCodec), native epoll, 1 boss + 1 worker",
           jar_name="netty-http", protocol="http"),
    # The proxy points: loadgen -> proxy -> c-epoll. glisten's row is the examples jar's `proxy`, started
    # as a user would, with the glisten row's JVM flags; the baseline is HAProxy in TCP mode, one thread.
    Server("glisten-proxy", "glisten's `proxy` example (examples jar): a Client per connection, packets relayed "
           "without a copy", jar_name="proxy", jar=build.EXAMPLES_JAR, extra_flags=GLISTEN_JVM_FLAGS, protocol="proxy"),
    Server("haproxy", "HAProxy in TCP mode, nbthread 1, defaults otherwise (no splicing)", protocol="proxy",
           haproxy=True),
]}

# A before-and-after row: glisten's echo from the benchmarks jar of an earlier commit, named by
# GLISTEN_BASELINE_JAR (build it in a `git worktree` of that commit with `mvn -q package -DskipTests`),
# so a change is measured against its own starting point and Netty in the same run.
if os.environ.get("GLISTEN_BASELINE_JAR"):
    SERVERS["glisten-baseline"] = Server(
        "glisten-baseline", f"glisten's echo from {os.environ['GLISTEN_BASELINE_JAR']} (GLISTEN_BASELINE_JAR)",
        jar_name="glisten", jar=os.environ["GLISTEN_BASELINE_JAR"], extra_flags=GLISTEN_JVM_FLAGS, tls=True)

DEFAULT_ORDER = ["c-epoll", "glisten", "netty-epoll", "netty-nio", "netty-epoll-2", "threads"]
HTTP_ORDER = ["glisten-http", "netty-http"]
PROXY_ORDER = ["glisten-proxy", "haproxy"]
BASELINE = "netty-epoll"
HTTP_BASELINE = "netty-http"
PROXY_BASELINE = "haproxy"
LIMIT = "c-epoll"
# What a proxy row relays to: the C echo server, pinned to the client's CPU so that the proxy has its
# core to itself (its core's busy time is then the proxy's, and the same for every proxy row).
PROXY_UPSTREAM = "c-epoll"


def baseline_for(kind):
    """The row every ratio of a point of this kind is taken against."""
    return {"http": HTTP_BASELINE, "proxy": PROXY_BASELINE}.get(kind, BASELINE)


def protocol_of(kind):
    """What a server must speak to run a point of this kind."""
    return {"http": "http", "proxy": "proxy"}.get(kind, "echo")


def haproxy_config(path, bind, upstream_port):
    """Writes HAProxy's configuration for one run: TCP mode, one thread, a frontend on a free port of
    `bind` relaying to the upstream echo server; returns that port. Only what the proxy needs is set:
    timeouts far above a run's length, no logging, no health checks (the echo server would count them
    as connections), HAProxy's defaults otherwise (no splice(2): `option splice-auto` is off)."""
    with socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET) as probe:
        probe.bind((bind, 0))
        port = probe.getsockname()[1]
    host = f"[{bind}]" if ":" in bind else bind
    with open(path, "w") as f:
        f.write("\n".join([
            "global",
            "    nbthread 1",
            "    maxconn 4096",  # 2 descriptors per connection: within the harness's fd limit
            "defaults",
            "    mode tcp",
            "    timeout connect 5s",
            "    timeout client 10m",
            "    timeout server 10m",
            "frontend proxy",
            f"    bind {host}:{port}",
            "    default_backend echo",
            "backend echo",
            f"    server echo {host}:{upstream_port}",
            ""]))
    return port

# Why a server has no TLS row yet; the TLS point lists these as "not run".
NO_TLS_REASON = {
    "c-epoll": "the C reference server is plain TCP",
}


class StartError(Exception):
    pass


class RunningServer:
    """A started server process, pinned to one CPU, with its output in a log file."""

    def __init__(self, server, command, cpu, log_path, address=None):
        self.server = server
        self.command = ["taskset", "-c", str(cpu), *command]
        self.log_path = log_path
        self.process = None
        # A server that prints no `listening on` line (HAProxy) is given its (host, port), and is
        # ready once it accepts there.
        self.known_address = address
        self.port = None

    def start(self, timeout=60):
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        pattern = re.compile(rb"^listening on (\S+):(\d+)\s*$", re.M)
        while time.monotonic() < deadline:
            if self.known_address is not None:
                if self._accepts(self.known_address):
                    self.port = self.known_address[1]
                    return self
            else:
                with open(self.log_path, "rb") as f:
                    found = pattern.search(f.read())
                if found:
                    self.port = int(found.group(2))
                    return self
            if self.process.poll() is not None:
                raise StartError(f"{self.server.name} exited with {self.process.returncode} before listening: "
                                 f"{self.tail()}")
            time.sleep(0.05)
        self.stop()
        raise StartError(f"{self.server.name} did not print 'listening on' within {timeout} s: {self.tail()}")

    @staticmethod
    def _accepts(address):
        """Whether something accepts at (host, port): the probe is a connection the server sees
        closed at once, before the run."""
        try:
            with socket.create_connection(address, timeout=1):
                return True
        except OSError:
            return False

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def rss_kib(self):
        """VmRSS of the server process, in KiB (taskset execs the server, so the pid is the server's)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise StartError(f"no VmRSS for pid {self.pid}")

    def tail(self, lines=8):
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
