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
over rounds, ratios against netty-epoll from the same round (and the same client pacing and
collector). With --http, the HTTP point instead: wrk against glisten's `http` example and a Netty
HTTP peer, ratio against netty-http. With --proxy, the proxy points: loadgen through glisten's
`proxy` example or HAProxy (TCP mode, one thread) to the C echo server, ratio against haproxy.
Results go to benchmarks/results/<timestamp>.json and .md; the markdown table is also printed."""

EPILOG = f"""\
points: 100x64 (connections x bytes), tls-100x4096, proxy-100x64, connect-rate[-W], idle[-N], http[-C]
  full:  {', '.join(points.FULL)}
  quick: {', '.join(points.QUICK)}
  --http: {', '.join(points.HTTP)}
  --proxy: {', '.join(points.PROXY)}
servers: {', '.join(servers.DEFAULT_ORDER)}; for http points: {', '.join(servers.HTTP_ORDER)};
  for proxy points: {', '.join(servers.PROXY_ORDER)} (each relaying to c-epoll on the client's CPU)
examples:
  benchmarks/bench --quick
  benchmarks/bench --quick --servers glisten,netty-epoll,c-epoll --points 100x64
  benchmarks/bench --servers glisten,netty-epoll --points 100x4096,1000x4096 --pacing both --gc both
  benchmarks/bench --http --rounds 3                       (wrk -t1 -c100, glisten-http vs netty-http)
  benchmarks/bench --proxy --rounds 3 --gc both            (glisten-proxy vs haproxy, to c-epoll)
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
    p.add_argument("--pacing", choices=("single", "threads", "both"), default="single",
                   help="how loadgen paces the echo points: single = one epoll loop for every connection (the "
                        "default, as in every earlier table); threads = several loops on the client CPU, each "
                        "owning a share of the connections; both = each round runs both, rows labelled")
    p.add_argument("--client-threads", type=int, metavar="N",
                   help=f"epoll loops of the threads pacing, all on the client CPU (default {points.PACING_THREADS})")
    p.add_argument("--gc", choices=("serial", "g1", "both"), default="serial",
                   help="collector of every JVM server: serial (the default, as in every earlier table), g1, or "
                        "both (each round runs the JVM servers under each; rows labelled)")
    p.add_argument("--http", action="store_true",
                   help=f"the HTTP point: wrk -t1 -c{points.HTTP_CONNECTIONS} against glisten's `http` example "
                        "(examples jar) and netty-http; same pinning and rounds")
    p.add_argument("--proxy", action="store_true",
                   help=f"the proxy points ({', '.join(points.PROXY)}): loadgen through glisten's `proxy` example "
                        "(examples jar) or HAProxy (TCP mode, nbthread 1) to the C echo server, which runs on the "
                        "client's CPU so that the proxy has the server's CPU to itself")
    p.add_argument("--server-cpu", type=int, default=1, help="CPU the server is pinned to (default 1)")
    p.add_argument("--client-cpu", type=int, default=0, help="CPU the client (loadgen, or wrk) is pinned to (default 0)")
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


def machine_info(java, jar_available, wrk_used=False, haproxy_used=False):
    info = {"kernel": platform.release(), "cpus": os.cpu_count(), "python": platform.python_version()}
    if haproxy_used:
        version = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout
        info["haproxy"] = version.splitlines()[0].split(" - ")[0] if version else "HAProxy (version unknown)"
    if wrk_used:  # wrk -v prints its version and exits with 1
        version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        text = (version.stdout or version.stderr).strip()
        info["wrk"] = text.splitlines()[0].split(" Copyright")[0] if text else "wrk (version unknown)"
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
    labels = " ".join(f"[{label}]" for label in (record.get("pacing"), record.get("gc")) if label)
    head = f"[{index}/{total}] {record['point']} round {record['round']} {record['server']}"
    head += f" {labels}:" if labels else ":"
    if record["status"] != "ok":
        return f"{head} FAILED: {record.get('reason', '')[:300]}"
    if record["kind"] == "idle":
        idle = record["idle"]
        per = idle["bytes_per_connection"]
        return (f"{head} {idle['open']} idle connections, RSS {idle['rss_before_kib']} -> {idle['rss_after_kib']} KiB, "
                f"{per:,.0f} B per connection" if per is not None else f"{head} no connection opened")
    d, r = record["derived"], record["result"]
    rate = r.get("round_trips_per_s", r.get("connections_per_s", r.get("requests_per_s")))
    unit = {"http": "requests/s", "connect-rate": "connections/s"}.get(record["kind"], "round trips/s")
    cpu = d["server_cpu_us_per_op"]
    extra = (f", socket errors {sum(r['socket_errors'].values())}, non-2xx {r['non_2xx_3xx']}"
             if record["kind"] == "http" else f", errors {r['errors']}")
    return (f"{head} {rate:,.0f} {unit}, server CPU {cpu:.2f} us/op (core {d['server_core_busy_percent']}%), "
            f"p99 {r['latency_us'].get('p99', 0):,.0f} us{extra}, client {d['client_process_percent']:.0f}%"
            f"{' SATURATED' if d['client_saturated'] else ''}")


def render_reports(paths):
    merged = None
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        if merged is None:
            merged = data
        else:
            # Each file's rounds follow the previous files': ratios pair runs of the same round only.
            offset = max((r["round"] for r in merged["runs"]), default=0)
            merged["runs"] += [{**r, "round": r["round"] + offset} for r in data["runs"]]
            merged["skipped"] += data.get("skipped", [])
            merged["elapsed_s"] = merged.get("elapsed_s", 0) + data.get("elapsed_s", 0)
    if len(paths) > 1:
        merged["config"]["rounds"] = len({r["round"] for r in merged["runs"]})
    print(report.render(merged))
    return 0


def schedule(plan, rounds, pacings, gcs):
    """Every run in order: per point, per round, each pacing, each collector, every server in turn.
    A server without a JVM runs once per pacing (first collector's pass): it has no collector."""
    runs = []
    for point, point_servers in plan:
        for round_no in range(1, rounds + 1):
            for pacing in (pacings if point.paced else [None]):
                for gc_index, gc in enumerate(gcs):
                    for name in point_servers:
                        server = servers.SERVERS[name]
                        if server.jvm or gc_index == 0:
                            runs.append((point, server, round_no, pacing, gc if server.jvm else None))
    return runs


def main(argv):
    args = parse_args(argv)
    if args.report:
        return render_reports(args.report)

    mode = points.MODES["quick" if args.quick else "full"]
    try:
        point_names = args.points.split(",") if args.points else (
            points.HTTP if args.http else points.PROXY if args.proxy else mode.points)
        selected_points = [points.parse(p) for p in point_names]
    except ValueError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    http_points = any(p.kind == "http" for p in selected_points)
    proxy_points = any(p.kind == "proxy" for p in selected_points)
    default_servers = (list(servers.DEFAULT_ORDER) if any(p.kind not in ("http", "proxy") for p in selected_points)
                       else []) + (list(servers.HTTP_ORDER) if http_points else []) + \
        (list(servers.PROXY_ORDER) if proxy_points else [])
    names = args.servers.split(",") if args.servers else default_servers
    unknown = [n for n in names if n not in servers.SERVERS]
    if unknown:
        print(f"bench: unknown server(s) {', '.join(unknown)}; known: {', '.join(servers.SERVERS)}", file=sys.stderr)
        return 2
    if args.client_threads is not None and (args.pacing == "single" or args.client_threads < 2):
        print("bench: --client-threads sets the loops of the threads pacing (2 or more); add --pacing threads or "
              "--pacing both", file=sys.stderr)
        return 2
    pacings = points.pacings(args.pacing, args.client_threads or points.PACING_THREADS)
    gcs = ["serial", "g1"] if args.gc == "both" else [args.gc]
    rounds = args.rounds or mode.rounds
    warmup = mode.warmup_s if args.warmup is None else args.warmup
    duration = args.duration or mode.duration_s

    for tool in ("taskset", "gcc") + (("wrk",) if http_points else ()):
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
    examples_needed = http_points and "glisten-http" in names
    proxy_examples_needed = proxy_points and "glisten-proxy" in names
    try:
        loadgen_tls = build.build_c()
        java, java_version = build.find_java() if jvm_needed or args.build_only else (None, 0)
        if (jvm_needed or args.build_only) and not args.no_build:
            build.build_jar()
    except build.BuildError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    if proxy_examples_needed and not examples_needed:
        problem = examples_jar_problem(args, build.EXAMPLES_JAR)
        if problem:
            print(f"bench: the proxy points need glisten's `proxy` example, and {problem}\n"
                  f"bench: to measure HAProxy alone: benchmarks/bench --proxy --servers haproxy", file=sys.stderr)
            return 2
    if examples_needed:
        problem = glisten_http_problem(java, java_version, args, build.EXAMPLES_JAR)
        if problem:
            print(f"bench: the HTTP point needs glisten's `http` example, and {problem}\n"
                  f"bench: to measure the Netty side alone: benchmarks/bench --http --servers netty-http",
                  file=sys.stderr)
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
                         warmup_s=warmup, duration_s=duration, bind=args.bind, logs_dir=logs_dir,
                         loadgen_tls=loadgen_tls)

    # What runs where: (point, [servers]); and what cannot run, with the reason.
    plan, skipped = [], []
    for point in selected_points:
        protocol = servers.protocol_of(point.kind)
        runnable = [n for n in names if servers.SERVERS[n].protocol == protocol]
        if not runnable:
            skipped.append(f"{point.name}: none of the selected servers speaks {protocol} "
                           f"(those that do: {', '.join(n for n, s in servers.SERVERS.items() if s.protocol == protocol)})")
            continue
        # A proxy holds two descriptors per connection: the client's and the upstream's.
        needed = point.connections * (2 if point.kind == "proxy" else 1) + 64
        if point.kind in ("echo", "tls", "idle", "http", "proxy") and needed > fd_limit:
            skipped.append(f"{point.name}: needs {needed} file descriptors per process, the limit is "
                           f"{fd_limit} (ulimit -Hn)")
            continue
        if point.kind == "proxy" and "haproxy" in runnable and shutil.which("haproxy") is None:
            skipped.append(f"{point.name} / haproxy: haproxy is not installed (apt-get install haproxy)")
            runnable = [n for n in runnable if n != "haproxy"]
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

    runs = schedule(plan, rounds, pacings, gcs)
    if not runs:
        print("bench: nothing to run" + "".join(f"\nbench: not run: {s}" for s in skipped), file=sys.stderr)
        shutil.rmtree(logs_dir)
        return 2
    estimate = sum(1.5 + (8 if p.kind == "idle" else warmup + duration) + p.connections / 5000 for p, *_ in runs)
    about = f"{estimate / 60:.0f} min" if estimate >= 120 else f"{estimate:.0f} s"
    print(f"bench: {len(runs)} runs, about {about}; results in {out_json}", flush=True)
    for s in skipped:
        print(f"bench: not run: {s}", flush=True)
    if args.dry_run:
        for point, point_servers in plan:
            paced = f" x pacing {'/'.join(p.name for p in pacings)}" if point.paced else ""
            print(f"bench: {point.name}: {rounds} round(s){paced} x gc {'/'.join(gcs)} of {' '.join(point_servers)}")
        shutil.rmtree(logs_dir)
        return 0

    config = {"mode": "quick" if args.quick else "full", "rounds": rounds, "warmup_s": warmup, "duration_s": duration,
              "servers": names, "points": [p.name for p in selected_points], "server_cpu": args.server_cpu,
              "client_cpu": args.client_cpu, "bind": args.bind, "fd_limit": fd_limit, "java": java,
              "pacings": {p.name: {"loadgen_args": p.loadgen_args(), "description": p.description} for p in pacings},
              "gcs": gcs,
              "jvm_flags": {f"{n} ({gc})" if len(gcs) > 1 else n: servers.SERVERS[n].jvm_flags(java_version, gc)
                            for n in names if servers.SERVERS[n].jvm for gc in gcs},
              "server_commands": {n: servers.SERVERS[n].command(java, java_version, args.bind, gc=gcs[0]) for n in names}}
    data = {"started": started.isoformat(timespec="seconds"), "config": config,
            "machine": machine_info(java, jvm_needed, http_points,
                                    proxy_points and "haproxy" in names and shutil.which("haproxy") is not None),
            "skipped": skipped, "runs": []}

    t0 = time.monotonic()
    try:
        for index, (point, server, round_no, pacing, gc) in enumerate(runs, 1):
            record = runner.run(ctx, point, server, round_no, pacing, gc)
            data["runs"].append(record)
            print(progress(index, len(runs), record), flush=True)
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


def examples_jar_problem(args, jar):
    """Why the examples jar cannot be used (None when it can): built if stale, unless --no-build."""
    if not args.no_build:
        try:
            build.build_examples_jar()
        except build.BuildError as e:
            return f"building the examples jar failed: {str(e)[-1500:]}"
    if not os.path.exists(jar):
        return f"{jar} does not exist (build it: mvn -B -q -DskipTests package -pl examples -am)"
    return None


def glisten_http_problem(java, java_version, args, jar):
    """Why glisten's `http` example cannot be measured (None when it can): the examples module is
    being written alongside the harness, so its absence is a clear message, not a traceback."""
    problem = examples_jar_problem(args, jar)
    if problem:
        return problem
    try:
        runner.probe(java, java_version, args.bind, servers.SERVERS["glisten-http"], args.server_cpu)
    except (runner.StartError, runner.wrk.WrkError, OSError) as e:
        return f"it did not serve: {e}"
    return None
