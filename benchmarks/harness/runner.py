"""Runs one server at one point once: start it pinned, drive it with loadgen (or wrk, for HTTP)
pinned elsewhere, measure."""
import json
import os
import select
import subprocess
import time
from dataclasses import dataclass

from . import build, wrk
from .servers import DEFAULT_GC, PROXY_UPSTREAM, SERVERS, RunningServer, StartError, haproxy_config

# A run counts the client as saturated when loadgen used this share of its cores (getrusage), or
# its core was this busy in /proc/stat (softirq included: on loopback the sender's core does much of
# the receiver's TCP work).
CLIENT_SATURATED_PROCESS_PERCENT = 90.0
CLIENT_SATURATED_CORE_PERCENT = 95.0
# Idle-memory point: time for the server to settle after the last connection before RSS is read.
IDLE_SETTLE_S = 2.0


@dataclass
class Context:
    java: str
    java_version: int
    server_cpu: int
    client_cpu: int
    warmup_s: float
    duration_s: float
    bind: str
    logs_dir: str
    tls_files: tuple = None        # (cert.pem, key.pem) once generated
    loadgen_tls: bool = False


def loadgen():
    return os.path.join(build.C_OUT, "loadgen")


def cpu_ticks(cpus):
    """(busy, total) ticks per CPU from /proc/stat, busy = user+nice+system+irq+softirq+steal."""
    found = {}
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts[0].startswith("cpu") and parts[0] != "cpu" and int(parts[0][3:]) in cpus:
                v = [int(x) for x in parts[1:9]]
                busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
                found[int(parts[0][3:])] = (busy, busy + v[3] + v[4])
    return found


def background_busy(cpus, seconds=0.5):
    """How busy each CPU is with nothing of ours running: other work skews every number."""
    a = cpu_ticks(cpus)
    time.sleep(seconds)
    b = cpu_ticks(cpus)
    return {cpu: round(100.0 * (b[cpu][0] - a[cpu][0]) / max(1, b[cpu][1] - a[cpu][1]), 1) for cpu in cpus}


def derive(ctx, result, operations_key):
    """The figures the report needs from one loadgen JSON line."""
    stats = {s["cpu"]: s for s in result.get("cpu_stat", [])}
    clk = result.get("clk_tck", 100)
    ops = result.get(operations_key, 0)
    server = stats.get(ctx.server_cpu, {"busy_ticks": 0, "total_ticks": 0})
    client = stats.get(ctx.client_cpu, {"busy_ticks": 0, "total_ticks": 0})
    client_core = 100.0 * client["busy_ticks"] / max(1, client["total_ticks"])
    client_process = result.get("client_cpu", {}).get("percent", 0.0)
    own = result.get("client_cpu", {})
    return {
        "server_cpu_us_per_op": (1e6 * server["busy_ticks"] / clk / ops) if ops else None,
        # The server process's own CPU (no softirq, no other process on its core): a cross-check on a busy machine.
        "server_process_cpu_us_per_op": (1e6 * result["pid_stat"]["cpu_ticks"] / clk / ops)
                                        if ops and "pid_stat" in result else None,
        # loadgen's own CPU per operation: it must stay well below the servers' for the numbers to mean anything.
        "client_cpu_us_per_op": (1e6 * (own.get("user_s", 0) + own.get("sys_s", 0)) / ops) if ops else None,
        "server_core_busy_percent": round(100.0 * server["busy_ticks"] / max(1, server["total_ticks"]), 1),
        "client_core_busy_percent": round(client_core, 1),
        "client_process_percent": client_process,
        # How often the client went to sleep in epoll_wait per operation: the rhythm a pacing sets.
        "client_sleeps_per_op": (own["voluntary_switches"] / ops) if ops and "voluntary_switches" in own else None,
        # loadgen is pinned to one core, so 100% is all it can get however many threads it runs.
        "client_saturated": client_process >= CLIENT_SATURATED_PROCESS_PERCENT
                            or client_core >= CLIENT_SATURATED_CORE_PERCENT,
    }


def _run_loadgen(ctx, args, timeout):
    command = ["taskset", "-c", str(ctx.client_cpu), loadgen(), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else None
    return command, done.returncode, result, done.stderr.strip()


def run(ctx, point, server, round_no, pacing=None, gc=None):
    """One measurement; returns a JSON-able record (status ok or failed, with the reason).

    pacing: a points.Pacing for the echo points (None elsewhere); gc: a key of servers.GC_FLAGS for
    JVM servers (None for the C server)."""
    record = {"point": point.name, "kind": point.kind, "server": server.name, "round": round_no,
              "pacing": pacing.name if pacing else None, "gc": gc,
              "background_busy_percent": background_busy([ctx.server_cpu, ctx.client_cpu])}
    labels = "".join(f"-{label}" for label in (record["pacing"], gc) if label)
    log_path = os.path.join(ctx.logs_dir, f"{point.name}-{server.name}{labels}-r{round_no}.log")
    tls = ctx.tls_files if point.kind == "tls" else None
    upstream = None
    running = None
    try:
        if point.kind == "proxy":
            upstream, running = _proxy_and_upstream(ctx, server, gc, log_path)
            record["upstream_command"] = upstream.command
        else:
            command = server.command(ctx.java, ctx.java_version, ctx.bind, tls, gc or DEFAULT_GC)
            running = RunningServer(server, command, ctx.server_cpu, log_path)
        record["server_command"] = running.command
        running.start()
        record["server_pid"] = running.pid
        if point.paced:
            _echo(ctx, point, running, record, pacing)
        elif point.kind == "connect-rate":
            _connect_rate(ctx, point, running, record)
        elif point.kind == "http":
            _http(ctx, point, running, record)
        else:
            _idle(ctx, point, running, record)
        if not running.alive():
            raise StartError(f"the server died during the run: {running.tail()}")
        if upstream is not None and not upstream.alive():
            raise StartError(f"the upstream echo server died during the run: {upstream.tail()}")
        record.setdefault("status", "ok")
    except (StartError, wrk.WrkError, subprocess.TimeoutExpired, OSError, ValueError) as e:
        record["status"] = "failed"
        record["reason"] = str(e)
    finally:
        if running is not None:
            running.stop()
            record["server_exit"] = running.process.returncode if running.process else None
        if upstream is not None:
            upstream.stop()
    return record


def _proxy_and_upstream(ctx, server, gc, log_path):
    """For a proxy point: starts the C echo server on the client's CPU (so the proxy has its own core to
    itself, whichever proxy it is), and returns it with the proxy, configured to relay to it, not started."""
    echo = SERVERS[PROXY_UPSTREAM]
    upstream = RunningServer(echo, echo.command(ctx.java, ctx.java_version, ctx.bind), ctx.client_cpu,
                             log_path[:-len(".log")] + "-upstream.log").start()
    try:
        return upstream, _proxy(ctx, server, gc, log_path, upstream.port)
    except (OSError, ValueError):
        upstream.stop()
        raise


def _proxy(ctx, server, gc, log_path, upstream_port):
    if server.haproxy:
        config = log_path[:-len(".log")] + "-haproxy.cfg"
        port = haproxy_config(config, ctx.bind, upstream_port)
        command = server.command(ctx.java, ctx.java_version, ctx.bind, config=config)
        return RunningServer(server, command, ctx.server_cpu, log_path, address=(ctx.bind, port))
    host = f"[{ctx.bind}]" if ":" in ctx.bind else ctx.bind
    command = server.command(ctx.java, ctx.java_version, ctx.bind, gc=gc or DEFAULT_GC,
                             upstream=f"{host}:{upstream_port}")
    return RunningServer(server, command, ctx.server_cpu, log_path)


def probe(java, java_version, bind, server, cpu):
    """Starts a server once and checks that it answers a GET as expected; raises StartError or
    wrk.WrkError saying why not."""
    log_path = os.path.join(build.BENCHMARKS, "target", f"probe-{server.name}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    running = RunningServer(server, server.command(java, java_version, bind), cpu, log_path)
    try:
        try:
            running.start(timeout=30)
        except StartError as e:
            # A usage error names its cause on its first line; the tail would be the usage text.
            with open(log_path, errors="replace") as f:
                first = next((line.strip() for line in f if line.strip()), "no output")
            raise StartError(f"{server.name} did not start listening: {first} (whole output: {log_path})") from e
        answer = wrk.check(bind, running.port)
        if not answer["as_expected"]:
            raise wrk.WrkError(f"GET / was answered {answer['status']} {answer['body']!r}, "
                               f"not 200 with a short text/plain greeting")
    finally:
        running.stop()


def _echo(ctx, point, running, record, pacing):
    args = ["echo", "--host", ctx.bind, "--port", str(running.port), "-c", str(point.connections),
            "-s", str(point.size), *pacing.loadgen_args(), "-w", str(ctx.warmup_s), "-d", str(ctx.duration_s),
            "--cpu-stat", f"{ctx.server_cpu},{ctx.client_cpu}", "--pid-stat", str(running.pid)]
    if point.kind == "tls":
        args.append("--tls")
    timeout = 120 + ctx.warmup_s + ctx.duration_s + point.connections / 100
    command, code, result, stderr = _run_loadgen(ctx, args, timeout)
    record.update(loadgen_command=command, loadgen_exit=code, loadgen_human=stderr, rss_kib_end=_rss(running))
    if result is None or code == 2:
        raise StartError(f"loadgen failed ({code}): {stderr}")
    record["result"] = result
    record["derived"] = derive(ctx, result, "round_trips")


def _connect_rate(ctx, point, running, record):
    args = ["connect-rate", "--host", ctx.bind, "--port", str(running.port), "-W", str(point.connections),
            "-s", str(point.size), "-w", str(ctx.warmup_s), "-d", str(ctx.duration_s),
            "--cpu-stat", f"{ctx.server_cpu},{ctx.client_cpu}", "--pid-stat", str(running.pid)]
    command, code, result, stderr = _run_loadgen(ctx, args, 120 + ctx.warmup_s + ctx.duration_s)
    record.update(loadgen_command=command, loadgen_exit=code, loadgen_human=stderr)
    if result is None or code == 2:
        raise StartError(f"loadgen failed ({code}): {stderr}")
    record["result"] = result
    record["derived"] = derive(ctx, result, "connections_done")


def _http(ctx, point, running, record):
    host = f"[{ctx.bind}]" if ":" in ctx.bind else ctx.bind
    record["check"] = wrk.check(ctx.bind, running.port)
    url = f"http://{host}:{running.port}/"
    if ctx.warmup_s > 0:  # JIT and first buffers, as loadgen's unmeasured warm-up does for the echo points
        wrk.run(ctx.client_cpu, point.connections, url, ctx.warmup_s)
    # wrk cannot sample at the edges of its window as loadgen does, so the window here is wrk's whole
    # life; its start (100 connects) and exit add a few milliseconds of almost idle time.
    cpus = [ctx.server_cpu, ctx.client_cpu]
    ticks_before, process_before = cpu_ticks(cpus), _process_ticks(running.pid)
    command, result = wrk.run(ctx.client_cpu, point.connections, url, ctx.duration_s)
    ticks_after, process_after = cpu_ticks(cpus), _process_ticks(running.pid)
    result["clk_tck"] = os.sysconf("SC_CLK_TCK")
    result["cpu_stat"] = [{"cpu": cpu, "busy_ticks": ticks_after[cpu][0] - ticks_before[cpu][0],
                           "total_ticks": ticks_after[cpu][1] - ticks_before[cpu][1]} for cpu in cpus]
    if process_before is not None and process_after is not None:
        result["pid_stat"] = {"pid": running.pid, "cpu_ticks": process_after - process_before}
    record.update(wrk_command=command, rss_kib_end=_rss(running), result=result)
    record["derived"] = derive(ctx, result, "requests")


def _process_ticks(pid):
    """utime + stime of a process in clock ticks (fields 14 and 15 of /proc/PID/stat, after the comm)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def _idle(ctx, point, running, record):
    # Warm the server first (class loading, JIT, first buffers) so its fixed costs are in the baseline.
    _run_loadgen(ctx, ["echo", "--host", ctx.bind, "--port", str(running.port), "-c", "10", "-s", "64",
                       "-w", "0", "-d", "1"], 60)
    time.sleep(1.0)
    before = running.rss_kib()
    command = ["taskset", "-c", str(ctx.client_cpu), loadgen(), "idle", "--host", ctx.bind,
               "--port", str(running.port), "-c", str(point.connections), "-s", str(point.size)]
    holder = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([holder.stdout], [], [], 120 + point.connections / 100)
        line = holder.stdout.readline() if ready else ""
        if not line.startswith("{"):
            raise StartError(f"loadgen idle did not get ready: {line.strip()} {holder.stderr.read() if holder.poll() is not None else ''}")
        result = json.loads(line)
        time.sleep(IDLE_SETTLE_S)
        after = running.rss_kib()
    finally:
        holder.stdin.close()
        try:
            holder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
    opened = result.get("open", 0)
    record.update(loadgen_command=command, loadgen_exit=holder.returncode, result=result,
                  idle={"rss_before_kib": before, "rss_after_kib": after, "open": opened,
                        "bytes_per_connection": (after - before) * 1024 / opened if opened else None})


def _rss(running):
    try:
        return running.rss_kib()
    except (OSError, StartError):
        return None
