"""bench: builds, runs every selected server at every selected point in alternating rounds, reports."""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

from . import build, points, report, runner, servers

RESULTS = os.path.join(build.BENCHMARKS, "results")

DESCRIPTION = """\
Runs the echo benchmarks of docs/BENCHMARKS.md: each server pinned to one CPU, the C load
generator pinned to another, servers alternating within each round (A B C A B C ...), medians
over rounds, ratios against netty-epoll from the same round. Results go to
benchmarks/results/<timestamp>.json and .md; the markdown table is also printed."""

EPILOG = f"""\
points: 100x64 (connections x bytes), tls-100x4096, connect-rate[-W], idle[-N]
  full:  {', '.join(points.FULL)}
  quick: {', '.join(points.QUICK)}
servers: {', '.join(servers.DEFAULT_ORDER)}
examples:
  benchmarks/bench --quick
  benchmarks/bench --quick --servers glisten,netty-epoll,c-epoll --points 100x64
  benchmarks/bench                      (full mode: the published table, about 45 minutes)
  benchmarks/bench --report benchmarks/results/2026-01-01T12-00-00.json"""


def parse_args(argv):
    p = argparse.ArgumentParser(prog="benchmarks/bench", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="about two minutes: 1 round, 2 s warm-up, 4 s runs, 3 points")
    p.add_argument("--servers", help="comma-separated subset, in the order to alternate (default: all)")
    p.add_argument("--points", help="comma-separated points (default: the mode's)")
    p.add_argument("--rounds", type=int, help="rounds per point (quick 1, full 3)")
    p.add_argument("--warmup", type=float, help="seconds of unmeasured load before each run (quick 2, full 3)")
    p.add_argument("--duration", type=float, help="measured seconds per run (quick 4, full 10)")
    p.add_argument("--client-threads", type=int, default=1, help="loadgen threads, all on the client CPU (default 1)")
    p.add_argument("--server-cpu", type=int, default=1, help="CPU the server is pinned to (default 1)")
    p.add_argument("--client-cpu", type=int, default=0, help="CPU loadgen is pinned to (default 0)")
    p.add_argument("--bind", default="127.0.0.1", help="address the servers listen on (default 127.0.0.1)")
    p.add_argument("--no-build", action="store_true", help="use the existing jar and binaries as they are")
    p.add_argument("--build-only", action="store_true", help="build the C programs and the jar, then stop")
    p.add_argument("--dry-run", action="store_true", help="print the plan and its estimated duration, run nothing")
    p.add_argument("--report", metavar="JSON", nargs="+",
                   help="only render the markdown of earlier runs (several files are merged, the first one's settings shown)")
    return p.parse_args(argv)


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine_info(java, jar_available):
    info = {"kernel": platform.release(), "cpus": os.cpu_count(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu_model"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown")
        with open("/proc/meminfo") as f:
            info["memory_kib"] = int(f.readline().split()[1])
    except OSError:
        pass
    info["gcc"] = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    if jar_available:
        versions = subprocess.run([java, "-jar", build.JAR, "versions"], capture_output=True, text=True).stdout
        for line in versions.splitlines():
            name, _, value = line.partition(" ")
            info[name] = ("JDK " + value) if name == "java" else value
    return info


def make_tls_files(directory):
    """A throw-away self-signed EC P-256 certificate and PKCS#8 key for the TLS point."""
    if shutil.which("openssl") is None:
        return None
    os.makedirs(directory, exist_ok=True)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                          capture_output=True, text=True)
    return (cert, key) if done.returncode == 0 else None


def progress(index, total, record):
    head = f"[{index}/{total}] {record['point']} round {record['round']} {record['server']}:"
    if record["status"] != "ok":
        return f"{head} FAILED: {record.get('reason', '')[:300]}"
    if record["kind"] == "idle":
        idle = record["idle"]
        per = idle["bytes_per_connection"]
        return (f"{head} {idle['open']} idle connections, RSS {idle['rss_before_kib']} -> {idle['rss_after_kib']} KiB, "
                f"{per:,.0f} B per connection" if per is not None else f"{head} no connection opened")
    d, r = record["derived"], record["result"]
    rate = r.get("round_trips_per_s", r.get("connections_per_s"))
    unit = "round trips/s" if "round_trips_per_s" in r else "connections/s"
    cpu = d["server_cpu_us_per_op"]
    return (f"{head} {rate:,.0f} {unit}, server CPU {cpu:.2f} us/op (core {d['server_core_busy_percent']}%), "
            f"p99 {r['latency_us']['p99']:,.0f} us, errors {r['errors']}, client {d['client_process_percent']:.0f}%"
            f"{' SATURATED' if d['client_saturated'] else ''}")


def main(argv):
    args = parse_args(argv)
    if args.report:
        merged = None
        for path in args.report:
            with open(path) as f:
                data = json.load(f)
            if merged is None:
                merged = data
            else:
                merged["runs"] += data["runs"]
                merged["skipped"] += data.get("skipped", [])
                merged["elapsed_s"] = merged.get("elapsed_s", 0) + data.get("elapsed_s", 0)
        print(report.render(merged))
        return 0

    mode = points.MODES["quick" if args.quick else "full"]
    names = args.servers.split(",") if args.servers else list(servers.DEFAULT_ORDER)
    unknown = [n for n in names if n not in servers.SERVERS]
    if unknown:
        print(f"bench: unknown server(s) {', '.join(unknown)}; known: {', '.join(servers.DEFAULT_ORDER)}", file=sys.stderr)
        return 2
    try:
        selected_points = [points.parse(p) for p in (args.points.split(",") if args.points else mode.points)]
    except ValueError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    rounds = args.rounds or mode.rounds
    warmup = mode.warmup_s if args.warmup is None else args.warmup
    duration = args.duration or mode.duration_s

    for tool in ("taskset", "gcc"):
        if shutil.which(tool) is None:
            print(f"bench: {tool} is required (apt-get install {'util-linux' if tool == 'taskset' else tool})",
                  file=sys.stderr)
            return 2
    allowed = os.sched_getaffinity(0)
    if args.server_cpu == args.client_cpu or not {args.server_cpu, args.client_cpu} <= allowed:
        print(f"bench: server CPU {args.server_cpu} and client CPU {args.client_cpu} must differ and be among {sorted(allowed)}",
              file=sys.stderr)
        return 2

    fd_limit = raise_fd_limit()
    jvm_needed = any(servers.SERVERS[n].jvm for n in names)
    try:
        loadgen_tls = build.build_c()
        java, java_version = build.find_java() if jvm_needed or args.build_only else (None, 0)
        if (jvm_needed or args.build_only) and not args.no_build:
            build.build_jar()
    except build.BuildError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    if args.build_only:
        print(f"bench: built {build.C_OUT}/echo_epoll, {build.C_OUT}/syscall_cost, {build.C_OUT}/loadgen"
              f" ({'with' if loadgen_tls else 'without'} TLS) and {build.JAR}")
        return 0

    started = datetime.datetime.now()
    stamp = started.strftime("%Y-%m-%dT%H-%M-%S")
    os.makedirs(RESULTS, exist_ok=True)
    out_json = os.path.join(RESULTS, f"{stamp}.json")
    logs_dir = os.path.join(RESULTS, f"{stamp}-logs")
    os.makedirs(logs_dir, exist_ok=True)
    ctx = runner.Context(java=java, java_version=java_version, server_cpu=args.server_cpu, client_cpu=args.client_cpu,
                         client_threads=args.client_threads, warmup_s=warmup, duration_s=duration, bind=args.bind,
                         logs_dir=logs_dir, loadgen_tls=loadgen_tls)

    # What runs where: (point, [servers]); and what cannot run, with the reason.
    plan, skipped = [], []
    for point in selected_points:
        runnable = list(names)
        if point.kind in ("echo", "tls", "idle") and point.connections + 64 > fd_limit:
            skipped.append(f"{point.name}: needs {point.connections + 64} file descriptors per process, the limit is "
                           f"{fd_limit} (ulimit -Hn)")
            continue
        if point.kind == "tls":
            if not loadgen_tls:
                skipped.append(f"{point.name}: loadgen was built without TLS (install libssl-dev and rerun)")
                continue
            ctx.tls_files = ctx.tls_files or make_tls_files(os.path.join(logs_dir, "tls"))
            if ctx.tls_files is None:
                skipped.append(f"{point.name}: could not make a certificate with openssl")
                continue
            for n in runnable:
                if not servers.SERVERS[n].tls:
                    skipped.append(f"{point.name} / {n}: " + servers.NO_TLS_REASON.get(n, "this server has no TLS mode"))
            runnable = [n for n in runnable if servers.SERVERS[n].tls]
        if runnable:
            plan.append((point, runnable))

    total = sum(len(s) for _, s in plan) * rounds
    estimate = sum(len(s) * rounds * (1.5 + (8 if p.kind == "idle" else warmup + duration) + p.connections / 5000)
                   for p, s in plan)
    about = f"{estimate / 60:.0f} min" if estimate >= 120 else f"{estimate:.0f} s"
    print(f"bench: {total} runs, about {about}; results in {out_json}", flush=True)
    for s in skipped:
        print(f"bench: not run: {s}", flush=True)
    if args.dry_run:
        for point, point_servers in plan:
            print(f"bench: {point.name}: {rounds} round(s) of {' '.join(point_servers)}")
        shutil.rmtree(logs_dir)
        return 0

    config = {"mode": "quick" if args.quick else "full", "rounds": rounds, "warmup_s": warmup, "duration_s": duration,
              "servers": names, "points": [p.name for p in selected_points], "server_cpu": args.server_cpu,
              "client_cpu": args.client_cpu, "client_threads": args.client_threads, "bind": args.bind,
              "fd_limit": fd_limit, "java": java,
              "jvm_flags": {n: servers.SERVERS[n].jvm_flags(java_version) for n in names if servers.SERVERS[n].jvm},
              "server_commands": {n: servers.SERVERS[n].command(java, java_version, args.bind) for n in names}}
    data = {"started": started.isoformat(timespec="seconds"), "config": config,
            "machine": machine_info(java, jvm_needed), "skipped": skipped, "runs": []}

    t0 = time.monotonic()
    index = 0
    try:
        for point, point_servers in plan:
            for round_no in range(1, rounds + 1):
                for name in point_servers:
                    index += 1
                    record = runner.run(ctx, point, servers.SERVERS[name], round_no)
                    data["runs"].append(record)
                    print(progress(index, total, record), flush=True)
                    data["elapsed_s"] = time.monotonic() - t0
                    with open(out_json, "w") as f:
                        json.dump(data, f, indent=1)
                    time.sleep(0.5)  # let the closed sockets and the exited process leave the CPUs
    except KeyboardInterrupt:
        print("bench: interrupted; reporting what was measured", file=sys.stderr)

    data["elapsed_s"] = time.monotonic() - t0
    with open(out_json, "w") as f:
        json.dump(data, f, indent=1)
    markdown = report.render(data)
    with open(os.path.join(RESULTS, f"{stamp}.md"), "w") as f:
        f.write(markdown + "\n")
    print()
    print(markdown)
    return 0
