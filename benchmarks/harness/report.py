"""Turns the run records into medians, same-round ratios, limits, and markdown tables."""
import statistics

from .points import parse
from .servers import BASELINE, LIMIT

# A server within this fraction of the C epoll server at a point is treated as limited by the client.
NEAR_LIMIT = 0.90
# A core this busy (median over rounds) is the bottleneck.
SERVER_CORE_BUSY = 90.0
# Background load above this (either core, before a run) is reported as a warning.
BACKGROUND_WARNING = 5.0


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _rate(record):
    result = record.get("result", {})
    return result.get("round_trips_per_s", result.get("connections_per_s"))


def summarize(report):
    """One entry per (point, server) in run order: medians over the rounds that succeeded."""
    records = report["runs"]
    by_key = {}
    for r in records:
        by_key.setdefault((r["point"], r["server"]), []).append(r)
    summary = []
    for (point, server), runs in by_key.items():
        ok = [r for r in runs if r["status"] == "ok"]
        entry = {"point": point, "kind": runs[0]["kind"], "server": server, "rounds": len(runs), "ok_rounds": len(ok),
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
                entry[key] = _median([r["result"]["latency_us"][key] for r in ok])
            entry["first_round_trip_max_us"] = _median([r["result"].get("first_round_trip_max_us") for r in ok])
            entry["oldest_unanswered_us"] = _median([r["result"].get("oldest_unanswered_us") for r in ok])
            entry["stalled_connections"] = max(r["result"].get("stalled_connections", 0) for r in ok)
            entry["errors"] = sum(r["result"].get("errors", 0) for r in ok)
            entry["first_error"] = next((r["result"]["first_error"] for r in ok if r["result"].get("first_error")), "")
            for key in ("server_cpu_us_per_op", "server_core_busy_percent", "client_core_busy_percent",
                        "client_process_percent", "client_cpu_us_per_op", "server_process_cpu_us_per_op"):
                entry[key] = _median([r["derived"].get(key) for r in ok])
            entry["client_saturated_rounds"] = sum(1 for r in ok if r["derived"]["client_saturated"])
            entry["ratio_vs_baseline"] = _same_round_ratio(records, point, server, BASELINE)
            entry["ratio_vs_limit"] = _same_round_ratio(records, point, server, LIMIT)
            entry["limited_by"] = _limited_by(entry)
        summary.append(entry)
    return summary


def _same_round_ratio(records, point, server, other):
    """Median over rounds of rate(server) / rate(other), both measured in the same round."""
    rates = {}
    for r in records:
        if r["point"] == point and r["status"] == "ok" and r["server"] in (server, other):
            rates.setdefault(r["round"], {})[r["server"]] = _rate(r)
    ratios = [v[server] / v[other] for v in rates.values() if v.get(server) and v.get(other)]
    return _median(ratios)


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
    """loadgen's CPU share of its core, and its own CPU per operation."""
    per = e.get("client_cpu_us_per_op")
    return f"{_n(e['client_process_percent'])}%" + (f", {per:.1f} µs" if per is not None else "")


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
               f"{machine.get('java')}; Netty {machine.get('netty')}.")
    out.append(f"- Server pinned to CPU {config['server_cpu']}, loadgen ({config['client_threads']} thread(s)) to CPU "
               f"{config['client_cpu']}; fd limit {config.get('fd_limit')}.")
    out.append(f"- JVM flags: " + "; ".join(f"{name}: `{' '.join(flags)}`" for name, flags in config["jvm_flags"].items()))
    noisy = sorted({f"{r['point']}/{r['server']}/r{r['round']}" for r in report["runs"]
                    if max(r.get("background_busy_percent", {}).values() or [0]) > BACKGROUND_WARNING})
    if noisy:
        out.append(f"- **Warning: the machine was not quiet** (> {BACKGROUND_WARNING:g}% busy before {len(noisy)} of "
                   f"{len(report['runs'])} runs, e.g. {', '.join(noisy[:4])}): these numbers are noise-prone.")
    out.append("")

    rank = {"echo": 0, "tls": 1, "connect-rate": 2, "idle": 3}
    points = sorted(dict.fromkeys(e["point"] for e in summary),
                    key=lambda name: (rank[parse(name).kind], parse(name).connections, parse(name).size))
    echo = [e for e in summary if e["kind"] in ("echo", "tls")]
    if echo:
        out.append("### Echo, closed loop (send S bytes, wait for all S back, repeat on every connection)\n")
        out.append(f"| Point | Server | Round trips/s | vs {BASELINE} | MB/s | Server CPU per round trip (process) | p50 | p99 | p99.9 "
                   "| max | Slowest first round trip | Errors | Client CPU (share, per op) | Limited by |")
        out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for point in points:
            for e in (e for e in echo if e["point"] == point):
                label = parse(point).label
                if "rate" not in e:
                    out.append(f"| {label} | {e['server']} | failed | | | | | | | | | | | {'; '.join(e['failures'])[:200]} |")
                    continue
                errors = str(e["errors"]) + (f" ({e['stalled_connections']:,} stalled)" if e["stalled_connections"] else "")
                # A message still unanswered when the window closed waited longer than any recorded one.
                worst = _us(e["max"])
                if (e.get("oldest_unanswered_us") or 0) > (e["max"] or 0):
                    worst = f"{_us(e['oldest_unanswered_us'])} unanswered"
                out.append(f"| {label} | {e['server']} | {_n(e['rate'])} | {_ratio(e['ratio_vs_baseline'])} | "
                           f"{_n(e['mb_per_s'], 1)} | {_server_cpu(e)} | {_us(e['p50'])} | "
                           f"{_us(e['p99'])} | {_us(e['p999'])} | {worst} | {_us(e['first_round_trip_max_us'])} | "
                           f"{errors} | {_client(e)} | {e['limited_by']} |")
        out.append("")

    rate = [e for e in summary if e["kind"] == "connect-rate"]
    if rate:
        out.append(f"### New connections: {parse(rate[0]['point']).label}\n")
        out.append(f"| Server | Connections/s | vs {BASELINE} | Server CPU per connection (process) | p50 | p99 | max | Errors "
                   "| Client CPU (share, per op) | Limited by |")
        out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for e in rate:
            if "rate" not in e:
                out.append(f"| {e['server']} | failed | | | | | | | | {'; '.join(e['failures'])[:200]} |")
                continue
            out.append(f"| {e['server']} | {_n(e['rate'])} | {_ratio(e['ratio_vs_baseline'])} | "
                       f"{_server_cpu(e)} | {_us(e['p50'])} | {_us(e['p99'])} | {_us(e['max'])} | "
                       f"{e['errors']} | {_client(e)} | {e['limited_by']} |")
        out.append("")

    idle = [e for e in summary if e["kind"] == "idle"]
    if idle:
        out.append(f"### Idle memory: {parse(idle[0]['point']).label} (VmRSS with them open minus before, per connection)\n")
        out.append("| Server | RSS before | RSS with the connections | Per connection | Errors |")
        out.append("|---|--:|--:|--:|--:|")
        for e in idle:
            if "rss_before_kib" not in e:
                out.append(f"| {e['server']} | failed | | | {'; '.join(e['failures'])[:200]} |")
                continue
            note = f" (only {e['open']:,} open)" if e["open"] < parse(e["point"]).connections else ""
            out.append(f"| {e['server']} | {_kib(e['rss_before_kib'])} | {_kib(e['rss_after_kib'])} | "
                       f"{_bytes(e['bytes_per_connection'])}{note} | {e['errors']} |")
        out.append("")

    notes = [f"- {s}" for s in report.get("skipped", [])]
    notes += [f"- {e['point']} / {e['server']}: {f}" for e in summary for f in e["failures"]]
    notes += [f"- {e['point']} / {e['server']}: first error: {e['first_error']}" for e in summary if e.get("first_error")]
    if notes:
        out.append("### Not run, failed, or with errors\n")
        out.extend(notes)
        out.append("")
    return "\n".join(out)
