"""The HTTP point: one GET checked by hand, then `wrk` pinned to the client CPU, its text output parsed.

wrk keeps C connections open and sends the next request on a connection as soon as the previous
answer is in, so it is a closed loop like loadgen's echo. It has no JSON output; parse() reads the
lines of `wrk --latency` (wrk 4.x) and fails loudly on anything else."""
import http.client
import os
import re
import subprocess
import time

WRK_THREADS = 1
# Every server answers GET / with 200 and a short text/plain greeting of its own (Netty's is
# "Hello, World!", glisten's example's "Hello from glisten!\n"); the report shows the bytes per
# response, so a difference in size is visible.
LONGEST_GREETING = 64


class WrkError(Exception):
    pass


_UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}
_SIZE = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def _micros(text):
    found = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not found:
        raise WrkError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * _UNITS_US[found.group(2)]


def parse(output):
    """The figures of one `wrk --latency` run, latencies in µs."""
    requests = re.search(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h), ([0-9.]+)([KMGT]?B) read", output, re.M)
    stats = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.M)
    per_s = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    if not requests or not stats:
        raise WrkError(f"unexpected wrk output: {output.strip()[:400]}")
    seconds = _micros(requests.group(2) + requests.group(3)) / 1e6
    result = {
        "requests": int(requests.group(1)),
        "seconds": seconds,
        # wrk's own rate has more digits than its rounded duration would give.
        "requests_per_s": float(per_s.group(1)) if per_s else int(requests.group(1)) / max(seconds, 1e-9),
        "bytes_read": float(requests.group(4)) * _SIZE[requests.group(5)],
        "latency_us": {"mean": _micros(stats.group(1)), "max": _micros(stats.group(3))},
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "non_2xx_3xx": 0,
    }
    for percent, value in re.findall(r"^\s*(50|75|90|99)%\s+(\S+)", output, re.M):
        result["latency_us"][f"p{percent}"] = _micros(value)
    if errors := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups())))
    if non_2xx := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result["non_2xx_3xx"] = int(non_2xx.group(1))
    result["errors"] = sum(result["socket_errors"].values()) + result["non_2xx_3xx"]
    return result


def check(host, port, timeout=10):
    """Two GETs on one connection, so a server that does not answer, answers something else, or
    closes after one response is caught before wrk would report it as a fast run."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        answers = []
        for _ in range(2):
            connection.request("GET", "/")
            response = connection.getresponse()
            answers.append((response.status, response.getheader("Content-Type"), response.read()))
    except (OSError, http.client.HTTPException) as e:
        raise WrkError(f"GET http://{host}:{port}/ failed: {e!r}") from e
    finally:
        connection.close()
    status, content_type, body = answers[-1]
    return {"status": status, "content_type": content_type, "body": body.decode("latin-1")[:80],
            "as_expected": all(a[0] == 200 and 0 < len(a[2]) <= LONGEST_GREETING
                               and (a[1] or "").startswith("text/plain") for a in answers)}


def run(cpu, connections, url, seconds):
    """One wrk run pinned to cpu (whole seconds: wrk takes no fractions); returns (command, parsed
    result with wrk's own CPU time and wall time)."""
    command = ["taskset", "-c", str(cpu), "wrk", f"-t{WRK_THREADS}", f"-c{connections}",
               f"-d{max(1, round(seconds))}s", "--latency", url]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # wrk prints a few hundred bytes, so the pipe cannot fill before it exits; wait4 gives its CPU time.
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    output = process.stdout.read()
    process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise WrkError(f"wrk exited with {process.returncode}: {output.strip()[:400]}")
    result = parse(output)
    result["text"] = output
    result["measured_s"] = wall
    result["client_cpu"] = {"user_s": usage.ru_utime, "sys_s": usage.ru_stime,
                            "percent": 100.0 * (usage.ru_utime + usage.ru_stime) / wall if wall else 0.0,
                            "voluntary_switches": usage.ru_nvcsw, "involuntary_switches": usage.ru_nivcsw}
    return command, result
