"""Turns the run records into medians, same-round ratios, limits, and markdown tables."""
import statistics

from .points import Pacing, parse
from .servers import BASELINE, HTTP_BASELINE, LIMIT, PROXY_BASELINE, PROXY_UPSTREAM, SERVERS, baseline_for

# A server within this fraction of the C epoll server at a point is treated as limited by the client.
NEAR_LIMIT = 0.90
# A core this busy (median over rounds) is the bottleneck.
SERVER_CORE_BUSY = 90.0
# Background load above this (either core, before a run) is reported as a warning.
BACKGROUND_WARNING = 5.0
# On a quiet machine the server's core and the server process spend the same time per operation
# (within a few % at 100 and 1,000 connections, ~8% at 10,000, where more softirq work runs outside the
# process); a larger gap means something else ran on the server's core during the run.
OTHER_WORK_ON_SERVER_CORE = 1.25


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _rate(record):
    result = record.get("result", {})
    return result.get("round_trips_per_s", result.get("connections_per_s", result.get("requests_per_s")))


def _labelled(record, config):
    """The record with its pacing and collector, inferred for runs made before they were options:
    loadgen's one thread count for every echo run, the collector from the server's command."""
    if "pacing" in record and "gc" in record:
        return record
    threads = config.get("client_threads", 1)
    command = " ".join(record.get("server_command", []))
    gc = "serial" if "-XX:+UseSerialGC" in command else "g1" if "-XX:+UseG1GC" in command else None
    pacing = None if record["kind"] not in ("echo", "tls") else "single" if threads == 1 else f"threads ({threads})"
    return {**record, "pacing": pacing, "gc": gc}


def summarize(report):
    """One entry per (point, pacing, collector, server) in run order: medians over the rounds that succeeded."""
    config = report["config"]
    records = [_labelled(r, config) for r in report["runs"]]
    first_gc = (config.get("gcs") or ["serial"])[0]
    by_key = {}
    for r in records:
        by_key.setdefault((r["point"], r["pacing"], r["gc"], r["server"]), []).append(r)
    summary = []
    for (point, pacing, gc, server), runs in by_key.items():
        ok = [r for r in runs if r["status"] == "ok"]
        entry = {"point": point, "kind": runs[0]["kind"], "server": server, "pacing": pacing, "gc": gc,
                 "rounds": len(runs), "ok_rounds": len(ok),
                 "failures": [f"round {r['round']}: {r.get('reason', '')}" for r in runs if r["status"] != "ok"]}
        if ok and runs[0]["kind"] == "idle":
            entry["rss_before_kib"] = _median([r["idle"]["rss_before_kib"] for r in ok])
            entry["rss_after_kib"] = _median([r["idle"]["rss_after_kib"] for r in ok])
            entry["bytes_per_connection"] = _median([r["idle"]["bytes_per_connection"] for r in ok])
            entry["open"] = min(r["idle"]["open"] for r in ok)
            entry["errors"] = sum(r["result"].get("errors", 0) for r in ok)
        elif ok:
            entry["rate"] = _median([_rate(r) for r in ok])
            entry["mb_per_s"] = _median([r["result"].get("mb_per_s") for r in ok])
            for key in ("p50", "p99", "p999", "max"):
                entry[key] = _median([r["result"]["latency_us"].get(key) for r in ok])
            entry["first_round_trip_max_us"] = _median([r["result"].get("first_round_trip_max_us") for r in ok])
            entry["oldest_unanswered_us"] = _median([r["result"].get("oldest_unanswered_us") for r in ok])
            entry["stalled_connections"] = max(r["result"].get("stalled_connections", 0) for r in ok)
            entry["errors"] = sum(r["result"].get("errors", 0) for r in ok)
            entry["first_error"] = next((r["result"]["first_error"] for r in ok if r["result"].get("first_error")), "")
            for key in ("server_cpu_us_per_op", "server_core_busy_percent", "client_core_busy_percent",
                        "client_process_percent", "client_cpu_us_per_op", "server_process_cpu_us_per_op",
                        "client_sleeps_per_op"):
                entry[key] = _median([r["derived"].get(key) for r in ok])
            entry["client_saturated_rounds"] = sum(1 for r in ok if r["derived"]["client_saturated"])
            entry["ratio_vs_baseline"] = _same_round_ratio(records, entry, baseline_for(entry["kind"]), first_gc)
            entry["ratio_vs_limit"] = _same_round_ratio(records, entry, LIMIT, first_gc)
            entry["limited_by"] = _limited_by(entry)
            if entry["kind"] == "http":
                _http_figures(entry, ok)
        summary.append(entry)
    return summary


def _http_figures(entry, ok):
    entry["socket_errors"] = {kind: sum(r["result"]["socket_errors"][kind] for r in ok)
                              for kind in ("connect", "read", "write", "timeout")}
    entry["non_2xx_3xx"] = sum(r["result"]["non_2xx_3xx"] for r in ok)
    entry["bytes_per_response"] = _median([r["result"]["bytes_read"] / r["result"]["requests"]
                                           for r in ok if r["result"]["requests"]])
    unexpected = [r["check"] for r in ok if not r.get("check", {}).get("as_expected", True)]
    if unexpected:
        entry["first_error"] = f"GET / answered {unexpected[0]['status']} {unexpected[0]['body']!r}, not 200 with a short text/plain greeting"


def _same_round_ratio(records, entry, other, first_gc):
    """Median over rounds of rate(entry's server) / rate(other), both measured in the same round,
    at the same pacing and, when other runs on a JVM, under the same collector (a server without a
    JVM is compared with the first collector's runs)."""
    other_server = SERVERS.get(other)
    other_gc = (entry["gc"] or first_gc) if other_server is not None and other_server.jvm else None
    rates = {}
    for r in records:
        if r["point"] != entry["point"] or r["pacing"] != entry["pacing"] or r["status"] != "ok":
            continue
        if (r["server"], r["gc"]) in ((entry["server"], entry["gc"]), (other, other_gc)):
            rates.setdefault(r["round"], {})[r["server"]] = _rate(r)
    ratios = [v[entry["server"]] / v[other] for v in rates.values() if v.get(entry["server"]) and v.get(other)]
    return _median(ratios)


def _other_work(derived):
    core, own = derived.get("server_cpu_us_per_op"), derived.get("server_process_cpu_us_per_op")
    return core is not None and own and core > OTHER_WORK_ON_SERVER_CORE * own


def _limited_by(entry):
    if entry["client_saturated_rounds"] * 2 > entry["ok_rounds"] or (
            entry["client_saturated_rounds"] and entry["ok_rounds"] == 1):
        return "client (saturated)"
    if entry["server"] != LIMIT and entry["ratio_vs_limit"] is not None and entry["ratio_vs_limit"] >= NEAR_LIMIT:
        return "client (>= 90% of c-epoll)"
    if entry["server_core_busy_percent"] is not None and entry["server_core_busy_percent"] >= SERVER_CORE_BUSY:
        return "server"
    return "neither core saturated: latency"


# --------------------------------------------------------------------------------- formatting


def _n(v, digits=0):
    return "" if v is None else f"{v:,.{digits}f}"


def _us(v):
    if v is None:
        return ""
    if v >= 1_000_000:
        return f"{v / 1e6:.2f} s"
    if v >= 10_000:
        return f"{v / 1e3:.0f} ms"
    if v >= 1_000:
        return f"{v / 1e3:.1f} ms"
    return f"{v:.0f} µs"


def _ratio(v):
    return "" if v is None else f"{v:.2f}x"


def _kib(v):
    return "" if v is None else f"{v / 1024:,.1f} MiB"


def _bytes(v):
    if v is None:
        return ""
    return f"{v / 1000:,.1f} KB" if abs(v) >= 1000 else f"{v:,.0f} B"


def _server_cpu(e):
    """The server core's busy time per operation, and in parentheses the server process's own share."""
    own = e.get("server_process_cpu_us_per_op")
    return f"{_n(e['server_cpu_us_per_op'], 2)} µs" + (f" ({own:.2f})" if own is not None else "")


def _client(e):
    """The client's CPU share of its core, its own CPU per operation, and how often it slept per operation."""
    per, sleeps = e.get("client_cpu_us_per_op"), e.get("client_sleeps_per_op")
    return (f"{_n(e['client_process_percent'])}%" + (f", {per:.1f} µs" if per is not None else "")
            + (f", {sleeps:.3f}" if sleeps is not None else ""))


def _label(value):
    return value or "-"


def render(report):
    summary = summarize(report)
    config, machine = report["config"], report["machine"]
    out = []
    title = "Benchmark results" if config["mode"] == "full" else f"Benchmark results ({config['mode']} mode: NOT for publishing)"
    out.append(f"## {title}\n")
    out.append(f"- Run {report['started']} ({report.get('elapsed_s', 0):.0f} s), mode `{config['mode']}`: "
               f"{config['rounds']} round(s) alternating servers per point, warm-up {config['warmup_s']:g} s, "
               f"measured {config['duration_s']:g} s per run; medians over rounds; ratios are medians of same-round ratios.")
    out.append(f"- Machine: {machine.get('cpu_model')}, {machine.get('cpus')} CPUs, kernel {machine.get('kernel')}; "
               f"{machine.get('java')}; Netty {machine.get('netty')}" + (f"; {machine['wrk']}" if "wrk" in machine else "")
               + (f"; {machine['haproxy']}" if "haproxy" in machine else "") + ".")
    out.append(f"- Server pinned to CPU {config['server_cpu']}, the client (loadgen, or wrk for HTTP) to CPU "
               f"{config['client_cpu']}; fd limit {config.get('fd_limit')}.")
    threads = config.get("client_threads", 1)  # runs from before --pacing had one
    pacings = config.get("pacings") or {"single" if threads == 1 else f"threads ({threads})":
                                        {"description": Pacing("", threads).description}}
    if any(e["pacing"] for e in summary):
        out.append("- Client pacing of the echo points (ratios compare servers within one pacing): "
                   + "; ".join(f"`{name}`: {p['description']}" for name, p in pacings.items()) + ".")
    out.append(f"- JVM flags: " + "; ".join(f"{name}: `{' '.join(flags)}`" for name, flags in config["jvm_flags"].items()))
    def run_name(r):
        return "/".join([r["point"], r["server"]] + [r[k] for k in ("pacing", "gc") if r.get(k)] + [f"r{r['round']}"])

    disturbed = [run_name(r) for r in report["runs"] if r["status"] == "ok" and _other_work(r.get("derived", {}))]
    if disturbed:
        out.append(f"- **Warning: other work ran on the server's core during {len(disturbed)} of {len(report['runs'])} "
                   f"runs** (its busy time per operation > {OTHER_WORK_ON_SERVER_CORE:g}x the server process's), e.g. "
                   f"{', '.join(disturbed[:4])}: discard those rounds.")
    noisy = sorted({run_name(r) for r in report["runs"]
                    if max(r.get("background_busy_percent", {}).values() or [0]) > BACKGROUND_WARNING})
    if noisy:
        out.append(f"- **Warning: the machine was not quiet** (> {BACKGROUND_WARNING:g}% busy before {len(noisy)} of "
                   f"{len(report['runs'])} runs, e.g. {', '.join(noisy[:4])}): these numbers are noise-prone.")
    out.append("")

    rank = {"echo": 0, "tls": 1, "proxy": 2, "http": 3, "connect-rate": 4, "idle": 5}
    points = sorted(dict.fromkeys(e["point"] for e in summary),
                    key=lambda name: (rank[parse(name).kind], parse(name).connections, parse(name).size))
    echo = [e for e in summary if e["kind"] in ("echo", "tls")]
    if echo:
        out.append("### Echo, closed loop (send S bytes, wait for all S back, repeat on every connection)\n")
        out.append(f"| Point | Server | Pacing | GC | Round trips/s | vs {BASELINE} | MB/s | Server CPU per round trip "
                   "(process) | p50 | p99 | p99.9 | max | Slowest first round trip | Errors | Client CPU (share, per op, "
                   "sleeps per op) | Limited by |")
        out.append("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for point in points:
            for e in (e for e in echo if e["point"] == point):
                label = f"{parse(point).label} | {e['server']} | {_label(e['pacing'])} | {_label(e['gc'])}"
                if "rate" not in e:
                    out.append(f"| {label} | failed | | | | | | | | | | | {'; '.join(e['failures'])[:200]} |")
                    continue
                errors = str(e["errors"]) + (f" ({e['stalled_connections']:,} stalled)" if e["stalled_connections"] else "")
                # A message still unanswered when the window closed waited longer than any recorded one.
                worst = _us(e["max"])
                if (e.get("oldest_unanswered_us") or 0) > (e["max"] or 0):
                    worst = f"{_us(e['oldest_unanswered_us'])} unanswered"
                out.append(f"| {label} | {_n(e['rate'])} | {_ratio(e['ratio_vs_baseline'])} | "
                           f"{_n(e['mb_per_s'], 1)} | {_server_cpu(e)} | {_us(e['p50'])} | "
                           f"{_us(e['p99'])} | {_us(e['p999'])} | {worst} | {_us(e['first_round_trip_max_us'])} | "
                           f"{errors} | {_client(e)} | {e['limited_by']} |")
        out.append("")

    out.extend(_proxy_table([e for e in summary if e["kind"] == "proxy"], points))
    out.extend(_http_table([e for e in summary if e["kind"] == "http"]))

    rate = [e for e in summary if e["kind"] == "connect-rate"]
    if rate:
        out.append(f"### New connections: {parse(rate[0]['point']).label}\n")
        out.append(f"| Server | GC | Connections/s | vs {BASELINE} | Server CPU per connection (process) | p50 | p99 | max "
                   "| Errors | Client CPU (share, per op) | Limited by |")
        out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for e in rate:
            if "rate" not in e:
                out.append(f"| {e['server']} | {_label(e['gc'])} | failed | | | | | | | | {'; '.join(e['failures'])[:200]} |")
                continue
            out.append(f"| {e['server']} | {_label(e['gc'])} | {_n(e['rate'])} | {_ratio(e['ratio_vs_baseline'])} | "
                       f"{_server_cpu(e)} | {_us(e['p50'])} | {_us(e['p99'])} | {_us(e['max'])} | "
                       f"{e['errors']} | {_client(e)} | {e['limited_by']} |")
        out.append("")

    idle = [e for e in summary if e["kind"] == "idle"]
    if idle:
        out.append(f"### Idle memory: {parse(idle[0]['point']).label} (VmRSS with them open minus before, per connection)\n")
        out.append("| Server | GC | RSS before | RSS with the connections | Per connection | Errors |")
        out.append("|---|---|--:|--:|--:|--:|")
        for e in idle:
            if "rss_before_kib" not in e:
                out.append(f"| {e['server']} | {_label(e['gc'])} | failed | | | {'; '.join(e['failures'])[:200]} |")
                continue
            note = f" (only {e['open']:,} open)" if e["open"] < parse(e["point"]).connections else ""
            out.append(f"| {e['server']} | {_label(e['gc'])} | {_kib(e['rss_before_kib'])} | {_kib(e['rss_after_kib'])} | "
                       f"{_bytes(e['bytes_per_connection'])}{note} | {e['errors']} |")
        out.append("")

    def row(e):
        return " / ".join([e["point"], e["server"]] + [label for label in (e["pacing"], e["gc"]) if label])

    notes = [f"- {s}" for s in report.get("skipped", [])]
    notes += [f"- {row(e)}: {f}" for e in summary for f in e["failures"]]
    notes += [f"- {row(e)}: first error: {e['first_error']}" for e in summary if e.get("first_error")]
    if notes:
        out.append("### Not run, failed, or with errors\n")
        out.extend(notes)
        out.append("")
    return "\n".join(out)


def _proxy_table(entries, points):
    """loadgen's closed loop through a proxy to the C echo server: ratios against HAProxy of the same
    round, and the proxy's own CPU per round trip."""
    if not entries:
        return []
    out = [f"### Through a proxy (loadgen -> proxy -> {PROXY_UPSTREAM}, the echo server on the client's CPU)\n",
           f"| Point | Proxy | Pacing | GC | Round trips/s | vs {PROXY_BASELINE} | MB/s | Proxy CPU per round trip "
           "(process) | p50 | p99 | p99.9 | max | Errors | Client CPU (share, per op, sleeps per op) | Limited by |",
           "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for point in points:
        for e in (e for e in entries if e["point"] == point):
            label = f"{parse(point).label} | {e['server']} | {_label(e['pacing'])} | {_label(e['gc'])}"
            if "rate" not in e:
                out.append(f"| {label} | failed | | | | | | | | | | {'; '.join(e['failures'])[:200]} |")
                continue
            errors = str(e["errors"]) + (f" ({e['stalled_connections']:,} stalled)" if e["stalled_connections"] else "")
            worst = _us(e["max"])
            if (e.get("oldest_unanswered_us") or 0) > (e["max"] or 0):
                worst = f"{_us(e['oldest_unanswered_us'])} unanswered"
            # The client's core also runs the echo server, so its saturation means client and upstream.
            limited = e["limited_by"].replace("client (saturated)", "client and echo core (saturated)")
            out.append(f"| {label} | {_n(e['rate'])} | {_ratio(e['ratio_vs_baseline'])} | {_n(e['mb_per_s'], 1)} | "
                       f"{_server_cpu(e)} | {_us(e['p50'])} | {_us(e['p99'])} | {_us(e['p999'])} | {worst} | "
                       f"{errors} | {_client(e)} | {limited} |")
    out.append("")
    return out


def _http_table(entries):
    """wrk's closed loop of GETs: one table per HTTP point, ratios against netty-http of the same round."""
    out = []
    for point in dict.fromkeys(e["point"] for e in entries):
        out.append(f"### {parse(point).label} (wrk -t1, keep-alive, GET /)\n")
        out.append(f"| Server | GC | Requests/s | vs {HTTP_BASELINE} | Server CPU per request (process) | p50 | p99 | max "
                   "| Socket errors | Non-2xx or 3xx | Bytes per response | Client CPU (share, per request) | Limited by |")
        out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for e in (e for e in entries if e["point"] == point):
            if "rate" not in e:
                out.append(f"| {e['server']} | {_label(e['gc'])} | failed | | | | | | | | | | "
                           f"{'; '.join(e['failures'])[:200]} |")
                continue
            socket_errors = sum(e["socket_errors"].values())
            detail = ", ".join(f"{k} {v:,}" for k, v in e["socket_errors"].items() if v)
            out.append(f"| {e['server']} | {_label(e['gc'])} | {_n(e['rate'])} | {_ratio(e['ratio_vs_baseline'])} | "
                       f"{_server_cpu(e)} | {_us(e['p50'])} | {_us(e['p99'])} | {_us(e['max'])} | "
                       f"{socket_errors:,}{f' ({detail})' if detail else ''} | {e['non_2xx_3xx']:,} | "
                       f"{_n(e['bytes_per_response'])} | {_client(e)} | {e['limited_by']} |")
        out.append("")
    return out
