"""Builds what the benchmark runs: the C programs (gcc) and the servers' jar (Maven), and finds a JDK."""
import glob
import os
import re
import shutil
import subprocess

BENCHMARKS = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
ROOT = os.path.dirname(BENCHMARKS)
C_SOURCES = os.path.join(BENCHMARKS, "src", "main", "c")
C_OUT = os.path.join(BENCHMARKS, "target", "c")
JAR = os.path.join(BENCHMARKS, "target", "glisten-benchmarks.jar")
# The HTTP point runs glisten's own `http` example from the examples module's runnable jar.
EXAMPLES_JAR = os.path.join(ROOT, "examples", "target", "glisten-examples.jar")

# The same flags as the CI smoke test (LoadgenSmokeTest): warnings are errors in spirit, so -Wall -Wextra.
CFLAGS = ["-O2", "-Wall", "-Wextra", "-pthread"]


class BuildError(Exception):
    pass


def log(message):
    print(f"bench: {message}", flush=True)


def _newest(paths):
    return max((os.path.getmtime(p) for p in paths if os.path.exists(p)), default=0)


def _tree(*roots, suffixes=(".java", ".xml")):
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for name in files:
                if name.endswith(suffixes):
                    yield os.path.join(dirpath, name)


def _gcc(output, source, extra_before=(), extra_after=()):
    command = ["gcc", *CFLAGS, *extra_before, "-o", output, source, *extra_after]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or result.stderr.strip():
        raise BuildError(f"{' '.join(command)} failed or warned:\n{result.stderr}")


def tls_available():
    """Whether OpenSSL's headers (libssl-dev) are installed, so loadgen can be built with --tls."""
    probe = subprocess.run(["gcc", "-E", "-x", "c", "-", "-o", os.devnull], input="#include <openssl/ssl.h>\n",
                           capture_output=True, text=True)
    return probe.returncode == 0


def build_c():
    """Compiles echo_epoll, loadgen and syscall_cost into target/c when missing or older than their source.

    Returns whether loadgen has TLS support."""
    if shutil.which("gcc") is None:
        raise BuildError("gcc is not installed (apt-get install gcc)")
    os.makedirs(C_OUT, exist_ok=True)
    for name in ("echo_epoll", "syscall_cost"):
        source = os.path.join(C_SOURCES, f"{name}.c")
        binary = os.path.join(C_OUT, name)
        if _newest([binary]) < _newest([source]):
            log(f"gcc {name}.c")
            _gcc(binary, source)
    loadgen_src = os.path.join(C_SOURCES, "loadgen.c")
    loadgen_bin = os.path.join(C_OUT, "loadgen")
    tls = tls_available()
    marker = os.path.join(C_OUT, "loadgen.tls" if tls else "loadgen.plain")
    if _newest([loadgen_bin]) < _newest([loadgen_src]) or not os.path.exists(marker):
        log(f"gcc loadgen.c ({'with' if tls else 'without'} TLS)")
        for stale in glob.glob(os.path.join(C_OUT, "loadgen.*")):
            os.remove(stale)
        if tls:
            _gcc(loadgen_bin, loadgen_src, ["-DLOADGEN_TLS"], ["-lssl", "-lcrypto"])
        else:
            _gcc(loadgen_bin, loadgen_src)
        open(marker, "w").close()
    return tls


def build_jar(force=False):
    """Builds benchmarks/target/glisten-benchmarks.jar when it is missing or older than any source or
    pom it is made from.

    One reactor build of core and benchmarks: the jar gets the core of this checkout, never a core
    that another checkout installed into ~/.m2 (nothing is installed there)."""
    _build_module("benchmarks", JAR, force)


def build_examples_jar(force=False):
    """The same for examples/target/glisten-examples.jar, which the HTTP point runs."""
    _build_module("examples", EXAMPLES_JAR, force)


def _build_module(module, jar, force):
    directory = os.path.join(ROOT, module)
    tests = os.path.join(directory, "src", "test") + os.sep  # not in the jar
    sources = [s for s in _tree(os.path.join(ROOT, "core", "src", "main"), os.path.join(directory, "src"))
               if not s.startswith(tests)]
    sources += [os.path.join(ROOT, "pom.xml"), os.path.join(ROOT, "core", "pom.xml"), os.path.join(directory, "pom.xml")]
    if not force and os.path.exists(jar) and _newest([jar]) >= _newest(sources):
        return
    if shutil.which("mvn") is None:
        raise BuildError("mvn is not installed and the jar is missing or stale: " + jar)
    command = ["mvn", "-q", "-B", "-DskipTests", "package", "-pl", module, "-am"]
    log(" ".join(command))
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    if not os.path.exists(jar):
        raise BuildError("the Maven build did not produce " + jar)


def _jdk_version(home):
    try:
        with open(os.path.join(home, "release")) as f:
            found = re.search(r'^JAVA_VERSION="(\d+)', f.read(), re.M)
        return int(found.group(1)) if found else 0
    except OSError:
        return 0


def find_java():
    """The java launcher to run the JVM servers: $BENCH_JAVA_HOME, else the newest JDK >= 21 among
    $JAVA_HOME and /usr/lib/jvm/*. Returns (path, feature version)."""
    if os.environ.get("BENCH_JAVA_HOME"):
        home = os.environ["BENCH_JAVA_HOME"]
        return os.path.join(home, "bin", "java"), _jdk_version(home)
    homes = [h for h in [os.environ.get("JAVA_HOME", "")] + glob.glob("/usr/lib/jvm/*") if h and os.path.isdir(h)]
    best = max(((_jdk_version(h), h) for h in homes if os.path.exists(os.path.join(h, "bin", "java"))), default=(0, None))
    if best[0] < 21:
        raise BuildError("no JDK 21 or newer found in $BENCH_JAVA_HOME, $JAVA_HOME or /usr/lib/jvm")
    return os.path.join(best[1], "bin", "java"), best[0]
