/*
 * loadgen: the closed-loop load generator of the glisten benchmarks.
 *
 *   loadgen echo         --port N [--host 127.0.0.1] -c CONNECTIONS -s BYTES [-t THREADS] [--batch EVENTS]
 *                        [-w WARMUP_S] [-d DURATION_S] [--tls] [--cpu-stat 1,0] [--pid-stat PID]
 *   loadgen connect-rate --port N [--host H] -W WORKERS [-s BYTES] [-w WARMUP_S] [-d DURATION_S] [--cpu-stat LIST]
 *   loadgen idle         --port N [--host H] -c CONNECTIONS [-s BYTES]
 *
 * echo: opens C connections (one after another, blocking, before any load), then every
 * connection runs a closed loop: send S bytes, wait until all S have come back, send the next S.
 * Each of T threads (default 1) drives its share of the connections from its own level-triggered
 * epoll set with nonblocking sockets: one read(2) per readiness event, partial writes resumed on
 * EPOLLOUT. -t and --batch (the most events one epoll_wait(2) returns, default 512) set the
 * client's rhythm: several loops on one core each see fewer ready sockets per wait and take turns
 * on the core, so the client sleeps and is woken more often (the harness's "threads" pacing); a
 * small batch makes it ask the kernel again after every few answers. The output counts the waits,
 * the events per wait and the client's voluntary context switches (each one a sleep that some
 * server write had to wake), so two pacings can be told apart by more than their flags.
 * Every byte that comes back is compared with what was sent: message k of connection c
 * is the window at offset (c * 40503 + k * 977) mod 65536 of one pseudo-random pattern, so a
 * flipped byte, a byte from another connection or a stale message all count as errors. A failed
 * connection (verification error, EOF, reset) is counted once and closed; the others go on.
 * The first WARMUP seconds are not counted (but are verified); the next DURATION seconds are.
 * A round trip belongs to the measured window if it completes in it.
 *
 * connect-rate: W threads, each in a blocking loop of socket, connect, write S (default 64) bytes,
 * read S bytes back (verified), close. Reports connections/s and the latency of the whole cycle.
 *
 * idle: opens C connections, echoes S (default 64, 0 for none) bytes once on each so the server
 * has surely accepted and served every one, prints a "ready" JSON line, then holds them until
 * stdin reaches end of file or SIGTERM/SIGINT arrives.
 *
 * Output: one JSON line on stdout (the harness reads it) and one human line on stderr. With
 * --cpu-stat the busy and total ticks of the listed CPUs (from /proc/stat: user + nice + system +
 * irq + softirq + steal, and that plus idle + iowait) are sampled at the exact edges of the
 * measured window, so the harness can divide the server core's busy time by round trips. The
 * generator's own CPU (getrusage, all threads) is reported over the same window, and with
 * --pid-stat PID so is that process's CPU time (the server's own share, without softirq).
 *
 * Exit status: 0 if the run had no error, 1 if any connection failed or any echo was wrong,
 * 2 for bad usage or when nothing could be connected.
 *
 * Build: gcc -O2 -Wall -Wextra -pthread -o loadgen loadgen.c
 *        gcc -O2 -Wall -Wextra -pthread -DLOADGEN_TLS -o loadgen loadgen.c -lssl -lcrypto  (--tls)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#ifdef LOADGEN_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#define PATTERN_SPAN 65536u
#define MAX_SIZE (1u << 20)
#define SCRATCH_SIZE (64 * 1024)
#define DEFAULT_BATCH 512
#define MAX_BATCH 65536
#define MAX_CPUS 64

/* ---------------------------------------------------------------- time */

static volatile sig_atomic_t interrupted; /* SIGTERM or SIGINT: stop early */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t deadline) {
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u), .tv_nsec = (long)(deadline % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !interrupted) {
    }
}

/* ---------------------------------------------------------------- histogram */

/*
 * Log-linear buckets in nanoseconds, as in HdrHistogram: values below 256 ns exactly, above that
 * 128 buckets per power of two (under 0.8% error), up to 2^40 ns (about 18 minutes).
 */
#define SUB_BITS 7
#define SUB_COUNT (1u << SUB_BITS)
#define MAX_EXPONENT 40
#define BUCKETS ((MAX_EXPONENT - SUB_BITS + 2) * SUB_COUNT)

struct histogram {
    uint64_t counts[BUCKETS];
    uint64_t total, max, sum;
};

static unsigned bucket_of(uint64_t v) {
    if (v < 2 * SUB_COUNT) return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    if (e > MAX_EXPONENT) return BUCKETS - 1;
    unsigned shift = e - SUB_BITS;
    return shift * SUB_COUNT + (unsigned)(v >> shift);
}

static uint64_t bucket_middle(unsigned index) {
    if (index < 2 * SUB_COUNT) return index;
    unsigned shift = index / SUB_COUNT - 1;
    uint64_t low = (uint64_t)(index - shift * SUB_COUNT) << shift;
    return low + (((uint64_t)1 << shift) >> 1);
}

static void record(struct histogram *h, uint64_t v) {
    h->counts[bucket_of(v)]++;
    h->total++;
    h->sum += v;
    if (v > h->max) h->max = v;
}

static void merge(struct histogram *into, const struct histogram *from) {
    for (unsigned i = 0; i < BUCKETS; i++) into->counts[i] += from->counts[i];
    into->total += from->total;
    into->sum += from->sum;
    if (from->max > into->max) into->max = from->max;
}

static double percentile_us(const struct histogram *h, double q) {
    if (h->total == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->total + 0.999999);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = bucket_middle(i);
            return (double)(v > h->max ? h->max : v) / 1000.0;
        }
    }
    return (double)h->max / 1000.0;
}

/* ---------------------------------------------------------------- options and shared state */

enum mode { MODE_ECHO, MODE_CONNECT_RATE, MODE_IDLE };

static struct {
    enum mode mode;
    const char *host;
    int port;
    int connections, size, threads, workers;
    int batch; /* most events per epoll_wait; 0 until given, then DEFAULT_BATCH */
    double warmup_s, duration_s, connect_timeout_s;
    int tls;
    int cpus[MAX_CPUS], ncpus;
    int pid; /* --pid-stat: a process whose CPU time to sample with the window, 0 for none */
} opt = {.host = "127.0.0.1", .port = -1, .connections = 1, .size = 64, .threads = 1, .workers = 8,
         .warmup_s = 3, .duration_s = 10, .connect_timeout_s = 10};

static struct sockaddr_in server_address;
static unsigned char *pattern; /* PATTERN_SPAN + MAX_SIZE bytes */
static uint64_t t_measure, t_end; /* the measured window, CLOCK_MONOTONIC ns */

enum error_kind { ERR_CONNECT, ERR_VERIFY, ERR_CLOSED, ERR_IO, ERR_TLS, ERR_KINDS };
static const char *error_names[ERR_KINDS] = {"connect", "verify", "closed", "io", "tls"};

/* Counters shared by all threads; each thread adds its own at the end, or under the lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t errors[ERR_KINDS];
static char first_error[256];

static void count_error(enum error_kind kind, const char *format, ...) {
    pthread_mutex_lock(&lock);
    errors[kind]++;
    if (first_error[0] == 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(first_error, sizeof first_error, format, args);
        va_end(args);
        for (char *p = first_error; *p; p++) if (*p == '"' || *p == '\\' || *p < ' ') *p = '\'';
    }
    pthread_mutex_unlock(&lock);
}

static uint64_t total_errors(void) {
    uint64_t sum = 0;
    for (int i = 0; i < ERR_KINDS; i++) sum += errors[i];
    return sum;
}

static const unsigned char *message_bytes(uint32_t connection, uint64_t seq) {
    return pattern + ((connection * 40503u + (uint32_t)seq * 977u) & (PATTERN_SPAN - 1));
}

static void make_pattern(void) {
    pattern = malloc(PATTERN_SPAN + MAX_SIZE);
    if (pattern == NULL) {
        perror("loadgen: malloc");
        exit(2);
    }
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < PATTERN_SPAN + MAX_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern[i] = (unsigned char)(x >> 24);
    }
}

/* ---------------------------------------------------------------- CPU accounting */

struct cpu_sample {
    unsigned long long busy[MAX_CPUS], total[MAX_CPUS];
    unsigned long long pid_ticks; /* utime + stime of --pid-stat's process */
    struct rusage self;
    uint64_t at;
};

static void sample_cpu(struct cpu_sample *s) {
    s->at = now_ns();
    getrusage(RUSAGE_SELF, &s->self);
    if (opt.pid > 0) {
        char path[64], line[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", opt.pid);
        FILE *p = fopen(path, "r");
        if (p != NULL) {
            /* Fields 14 and 15 (utime, stime) come 11 and 12 after the state, which follows the ")" of comm. */
            char *end = fgets(line, sizeof line, p) ? strrchr(line, ')') : NULL;
            unsigned long long utime, stime;
            if (end && sscanf(end + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &utime, &stime) == 2)
                s->pid_ticks = utime + stime;
            fclose(p);
        }
    }
    if (opt.ncpus == 0) return;
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        int cpu;
        unsigned long long v[8] = {0};
        if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7]) < 9) continue;
        for (int i = 0; i < opt.ncpus; i++) {
            if (opt.cpus[i] != cpu) continue;
            /* user nice system idle iowait irq softirq steal */
            s->busy[i] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
            s->total[i] = s->busy[i] + v[3] + v[4];
        }
    }
    fclose(f);
}

static double tv_s(struct timeval tv) {
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Prints the window's CPU figures as JSON members (with a leading comma). */
static void print_cpu_json(const struct cpu_sample *a, const struct cpu_sample *b) {
    double wall = (double)(b->at - a->at) / 1e9;
    double user = tv_s(b->self.ru_utime) - tv_s(a->self.ru_utime);
    double sys = tv_s(b->self.ru_stime) - tv_s(a->self.ru_stime);
    printf(",\"measured_s\":%.6f,\"client_cpu\":{\"user_s\":%.4f,\"sys_s\":%.4f,\"percent\":%.2f,"
           "\"voluntary_switches\":%ld,\"involuntary_switches\":%ld}",
           wall, user, sys, wall > 0 ? 100.0 * (user + sys) / wall : 0, b->self.ru_nvcsw - a->self.ru_nvcsw,
           b->self.ru_nivcsw - a->self.ru_nivcsw);
    printf(",\"clk_tck\":%ld,\"cpu_stat\":[", sysconf(_SC_CLK_TCK));
    for (int i = 0; i < opt.ncpus; i++) {
        printf("%s{\"cpu\":%d,\"busy_ticks\":%llu,\"total_ticks\":%llu}", i ? "," : "", opt.cpus[i],
               b->busy[i] - a->busy[i], b->total[i] - a->total[i]);
    }
    printf("]");
    if (opt.pid > 0) printf(",\"pid_stat\":{\"pid\":%d,\"cpu_ticks\":%llu}", opt.pid, b->pid_ticks - a->pid_ticks);
}

static double client_percent(const struct cpu_sample *a, const struct cpu_sample *b) {
    double wall = (double)(b->at - a->at) / 1e9;
    double used = tv_s(b->self.ru_utime) - tv_s(a->self.ru_utime) + tv_s(b->self.ru_stime) - tv_s(a->self.ru_stime);
    return wall > 0 ? 100.0 * used / wall : 0;
}

static void print_latency_json(const char *name, const struct histogram *h) {
    printf(",\"%s\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f}", name,
           percentile_us(h, 0.50), percentile_us(h, 0.90), percentile_us(h, 0.99), percentile_us(h, 0.999),
           (double)h->max / 1000.0, h->total ? (double)h->sum / (double)h->total / 1000.0 : 0);
}

static void print_errors_json(void) {
    printf(",\"errors\":%llu,\"error_kinds\":{", (unsigned long long)total_errors());
    for (int i = 0; i < ERR_KINDS; i++) printf("%s\"%s\":%llu", i ? "," : "", error_names[i], (unsigned long long)errors[i]);
    printf("},\"first_error\":\"%s\"", first_error);
}

/* ---------------------------------------------------------------- TLS (optional) */

#ifdef LOADGEN_TLS
static SSL_CTX *tls_context;

static void tls_init(void) {
    tls_context = SSL_CTX_new(TLS_client_method());
    if (tls_context == NULL || !SSL_CTX_set_min_proto_version(tls_context, TLS1_3_VERSION)) {
        fprintf(stderr, "loadgen: cannot make a TLS 1.3 client context\n");
        exit(2);
    }
    /* The servers use throw-away self-signed certificates: the benchmark measures the record
     * layer and handshakes, not certificate checks. */
    SSL_CTX_set_verify(tls_context, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(tls_context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

static const char *tls_error(void) {
    static __thread char text[160];
    unsigned long e = ERR_get_error();
    if (e == 0) return errno ? strerror(errno) : "unknown";
    ERR_error_string_n(e, text, sizeof text);
    return text;
}
#endif

/* ---------------------------------------------------------------- connecting */

/* A blocking connect with a timeout, TCP_NODELAY on; returns the fd or -1 (and counts the error). */
static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        count_error(ERR_CONNECT, "socket: %s", strerror(errno));
        return -1;
    }
    struct timeval timeout = {.tv_sec = (time_t)opt.connect_timeout_s,
                              .tv_usec = (suseconds_t)((opt.connect_timeout_s - (double)(time_t)opt.connect_timeout_s) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (connect(fd, (struct sockaddr *)&server_address, sizeof server_address) < 0) {
        if (errno == EINTR) continue;
        count_error(ERR_CONNECT, "connect: %s", errno == EINPROGRESS ? "timed out" : strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Blocking write and verified read of one message; returns 0 or -1 (error counted). */
static int echo_once(int fd, const unsigned char *bytes, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, bytes + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            count_error(ERR_IO, "write: %s", strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    unsigned char got[4096];
    done = 0;
    while (done < size) {
        size_t want = size - done < sizeof got ? size - done : sizeof got;
        ssize_t n = read(fd, got, want);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) {
            count_error(ERR_CLOSED, "server closed the connection after %zu of %zu bytes", done, size);
            return -1;
        }
        if (n < 0) {
            count_error(ERR_IO, "read: %s", errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        if (memcmp(got, bytes + done, (size_t)n) != 0) {
            count_error(ERR_VERIFY, "echo differs from what was sent, within bytes %zu..%zu", done, done + (size_t)n);
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* ---------------------------------------------------------------- echo mode */

struct conn {
    int fd;
    uint32_t id;
    uint64_t seq;            /* messages started */
    uint32_t sent, received; /* of the current message */
    uint32_t window_trips;   /* round trips completed in the measured window */
    uint64_t started;        /* when the current message's first byte was sent */
    uint8_t dead, writing, first_done;
#ifdef LOADGEN_TLS
    uint8_t write_wants_read, read_wants_write;
    SSL *ssl;
#endif
};

struct worker {
    pthread_t thread;
    struct conn **conns;
    int count;
    int ep;
    struct histogram latency;
    uint64_t trips, warm_trips;
    uint64_t first_max, first_done;
    uint64_t waits, events; /* epoll_wait calls begun in the measured window, and the events they returned */
    unsigned char scratch[SCRATCH_SIZE];
};

static void fail(struct worker *w, struct conn *c, enum error_kind kind, const char *format, ...) {
    char text[200];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    count_error(kind, "connection %u, message %llu: %s", c->id, (unsigned long long)c->seq, text);
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
#ifdef LOADGEN_TLS
    if (c->ssl) SSL_free(c->ssl);
    c->ssl = NULL;
#endif
    close(c->fd);
    c->dead = 1;
}

static void watch(struct worker *w, struct conn *c, int writing) {
    if (c->writing == writing) return;
    c->writing = (uint8_t)writing;
    struct epoll_event ev = {.events = EPOLLIN | (writing ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes as much of the current message as the socket takes; registers for EPOLLOUT if cut short. */
static void send_more(struct worker *w, struct conn *c) {
    const unsigned char *bytes = message_bytes(c->id, c->seq);
    while (c->sent < (uint32_t)opt.size) {
        ssize_t n;
#ifdef LOADGEN_TLS
        if (c->ssl) {
            c->write_wants_read = 0;
            n = SSL_write(c->ssl, bytes + c->sent, (int)((uint32_t)opt.size - c->sent));
            if (n <= 0) {
                int e = SSL_get_error(c->ssl, (int)n);
                if (e == SSL_ERROR_WANT_WRITE) break;
                if (e == SSL_ERROR_WANT_READ) {
                    c->write_wants_read = 1;
                    break;
                }
                fail(w, c, ERR_TLS, "SSL_write: %s", tls_error());
                return;
            }
            c->sent += (uint32_t)n;
            continue;
        }
#endif
        n = write(c->fd, bytes + c->sent, (uint32_t)opt.size - c->sent);
        if (n > 0) {
            c->sent += (uint32_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            fail(w, c, ERR_IO, "write: %s", strerror(errno));
            return;
        }
    }
#ifdef LOADGEN_TLS
    watch(w, c, c->sent < (uint32_t)opt.size && !c->write_wants_read);
#else
    watch(w, c, c->sent < (uint32_t)opt.size);
#endif
}

static void start_message(struct worker *w, struct conn *c, uint64_t now) {
    c->seq++;
    c->sent = 0;
    c->received = 0;
    c->started = now;
    send_more(w, c);
}

static void complete_message(struct worker *w, struct conn *c) {
    uint64_t now = now_ns();
    uint64_t took = now - c->started;
    if (!c->first_done) {
        c->first_done = 1;
        w->first_done++;
        if (took > w->first_max) w->first_max = took;
    }
    if (now >= t_measure && now < t_end) {
        record(&w->latency, took);
        w->trips++;
        c->window_trips++;
    } else if (now < t_measure) {
        w->warm_trips++;
    }
    start_message(w, c, now);
}

/* Checks a chunk of echoed bytes; returns 1 when the message is complete, 0 if not, -1 on failure. */
static int take(struct worker *w, struct conn *c, const unsigned char *bytes, size_t n) {
    if (c->received + n > c->sent) {
        fail(w, c, ERR_VERIFY, "%zu bytes came back but only %u of %d were sent", c->received + n, c->sent, opt.size);
        return -1;
    }
    const unsigned char *expected = message_bytes(c->id, c->seq) + c->received;
    if (memcmp(bytes, expected, n) != 0) {
        size_t at = 0;
        while (bytes[at] == expected[at]) at++;
        fail(w, c, ERR_VERIFY, "byte %zu of the echo is 0x%02x, sent 0x%02x", c->received + at, bytes[at], expected[at]);
        return -1;
    }
    c->received += (uint32_t)n;
    return c->received == (uint32_t)opt.size;
}

static void receive(struct worker *w, struct conn *c) {
#ifdef LOADGEN_TLS
    if (c->ssl) {
        c->read_wants_write = 0;
        for (;;) {
            int n = SSL_read(c->ssl, w->scratch, SCRATCH_SIZE);
            if (n <= 0) {
                int e = SSL_get_error(c->ssl, n);
                if (e == SSL_ERROR_WANT_READ) return;
                if (e == SSL_ERROR_WANT_WRITE) {
                    c->read_wants_write = 1;
                    watch(w, c, 1);
                    return;
                }
                if (e == SSL_ERROR_ZERO_RETURN) fail(w, c, ERR_CLOSED, "server closed the TLS session");
                else fail(w, c, ERR_TLS, "SSL_read: %s", tls_error());
                return;
            }
            int r = take(w, c, w->scratch, (size_t)n);
            if (r < 0) return;
            if (r == 1) {
                complete_message(w, c);
                if (c->dead) return;
                /* Read on only while OpenSSL holds bytes that epoll cannot report. */
                if (!SSL_has_pending(c->ssl)) return;
            }
        }
    }
#endif
    ssize_t n = read(c->fd, w->scratch, SCRATCH_SIZE);
    if (n > 0) {
        if (take(w, c, w->scratch, (size_t)n) == 1) complete_message(w, c);
    } else if (n == 0) {
        fail(w, c, ERR_CLOSED, "server closed the connection after %u of %d bytes", c->received, opt.size);
    } else if (errno != EAGAIN && errno != EINTR) {
        fail(w, c, ERR_IO, "read: %s", strerror(errno));
    }
}

static void *run_worker(void *arg) {
    struct worker *w = arg;
    struct epoll_event *events = malloc((size_t)opt.batch * sizeof *events);
    if (events == NULL) {
        perror("loadgen: malloc");
        exit(2);
    }
    uint64_t now = now_ns();
    for (int i = 0; i < w->count; i++) start_message(w, w->conns[i], now);
    while (!interrupted) {
        now = now_ns();
        if (now >= t_end) break;
        uint64_t left_ms = (t_end - now) / 1000000u + 1;
        int n = epoll_wait(w->ep, events, opt.batch, left_ms > 100 ? 100 : (int)left_ms);
        if (now >= t_measure) {
            w->waits++;
            if (n > 0) w->events += (uint64_t)n;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->dead) continue;
            uint32_t e = events[i].events;
            if (e & EPOLLOUT) {
#ifdef LOADGEN_TLS
                if (c->read_wants_write) receive(w, c);
                if (c->dead) continue;
#endif
                if (c->sent < (uint32_t)opt.size) send_more(w, c);
                if (c->dead) continue;
            }
            if (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
#ifdef LOADGEN_TLS
                if (c->write_wants_read) send_more(w, c);
                if (c->dead) continue;
#endif
                receive(w, c);
            }
        }
    }
    free(events);
    return NULL;
}

static int run_echo(void) {
    int count = opt.connections;
    struct conn *conns = calloc((size_t)count, sizeof *conns);
    struct worker *workers = calloc((size_t)opt.threads, sizeof *workers);
    if (conns == NULL || workers == NULL) {
        perror("loadgen: calloc");
        return 2;
    }
    for (int t = 0; t < opt.threads; t++) {
        workers[t].conns = calloc((size_t)count / (size_t)opt.threads + 1, sizeof(struct conn *));
        workers[t].ep = epoll_create1(EPOLL_CLOEXEC);
    }
#ifdef LOADGEN_TLS
    if (opt.tls) tls_init();
#endif
    uint64_t connect_started = now_ns();
    int connected = 0;
    for (int i = 0; i < count && !interrupted; i++) {
        struct conn *c = &conns[i];
        c->id = (uint32_t)i;
        c->dead = 1;
        c->fd = dial();
        if (c->fd < 0) continue;
#ifdef LOADGEN_TLS
        if (opt.tls) {
            c->ssl = SSL_new(tls_context);
            SSL_set_fd(c->ssl, c->fd);
            if (SSL_connect(c->ssl) != 1) {
                count_error(ERR_TLS, "connection %d: TLS handshake: %s", i, tls_error());
                SSL_free(c->ssl);
                c->ssl = NULL;
                close(c->fd);
                continue;
            }
        }
#endif
        if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0) {
            count_error(ERR_IO, "O_NONBLOCK: %s", strerror(errno));
            close(c->fd);
            continue;
        }
        struct worker *w = &workers[i % opt.threads];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
        w->conns[w->count++] = c;
        c->dead = 0;
        connected++;
    }
    double connect_s = (double)(now_ns() - connect_started) / 1e9;
    if (connected == 0) {
        fprintf(stderr, "loadgen: no connection to %s:%d could be opened: %s\n", opt.host, opt.port, first_error);
        return 2;
    }

    uint64_t start = now_ns();
    t_measure = start + (uint64_t)(opt.warmup_s * 1e9);
    t_end = t_measure + (uint64_t)(opt.duration_s * 1e9);
    for (int t = 0; t < opt.threads; t++) pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);
    struct cpu_sample before, after;
    sleep_until(t_measure);
    sample_cpu(&before);
    sleep_until(t_end);
    sample_cpu(&after);
    for (int t = 0; t < opt.threads; t++) pthread_join(workers[t].thread, NULL);

    static struct histogram latency;
    uint64_t trips = 0, first_max = 0, first_done = 0, waits = 0, events = 0;
    for (int t = 0; t < opt.threads; t++) {
        merge(&latency, &workers[t].latency);
        trips += workers[t].trips;
        waits += workers[t].waits;
        events += workers[t].events;
        first_done += workers[t].first_done;
        if (workers[t].first_max > first_max) first_max = workers[t].first_max;
    }
    /* Round trips that never complete never reach the histogram: report how long the oldest
     * unanswered message had been waiting when the window closed, and how many connections got
     * no round trip at all in the window. */
    int stalled = 0;
    uint64_t oldest = 0;
    for (int i = 0; i < count; i++) {
        if (conns[i].dead) continue;
        if (conns[i].window_trips == 0) stalled++;
        if (conns[i].started < t_end && t_end - conns[i].started > oldest) oldest = t_end - conns[i].started;
    }
    double seconds = (double)(after.at - before.at) / 1e9;
    double rate = seconds > 0 ? (double)trips / seconds : 0;

    printf("{\"mode\":\"echo\",\"host\":\"%s\",\"port\":%d,\"connections\":%d,\"connected\":%d,\"size\":%d,\"threads\":%d,"
           "\"batch\":%d,\"tls\":%s,\"verify\":true,\"warmup_s\":%.3f,\"duration_s\":%.3f,\"connect_s\":%.3f",
           opt.host, opt.port, count, connected, opt.size, opt.threads, opt.batch, opt.tls ? "true" : "false",
           opt.warmup_s, opt.duration_s, connect_s);
    printf(",\"round_trips\":%llu,\"round_trips_per_s\":%.1f,\"mb_per_s\":%.3f", (unsigned long long)trips, rate,
           rate * opt.size / 1e6);
    printf(",\"epoll_waits\":%llu,\"events_per_wait\":%.2f", (unsigned long long)waits,
           waits ? (double)events / (double)waits : 0);
    print_latency_json("latency_us", &latency);
    printf(",\"first_round_trip_max_us\":%.1f,\"connections_with_a_round_trip\":%llu,\"stalled_connections\":%d,"
           "\"oldest_unanswered_us\":%.1f",
           (double)first_max / 1000.0, (unsigned long long)first_done, stalled, (double)oldest / 1000.0);
    print_errors_json();
    print_cpu_json(&before, &after);
    printf("}\n");
    fflush(stdout);
    fprintf(stderr,
            "echo %dx%dB%s, %d thread(s), batch %d: %.0f round trips/s, %.2f MB/s, latency us p50 %.1f p99 %.1f "
            "p99.9 %.1f max %.1f, slowest first %.1f us, errors %llu, stalled %d (oldest unanswered %.1f us), "
            "client CPU %.0f%%, %.1f events per wait, %.3f sleeps per round trip\n",
            count, opt.size, opt.tls ? " TLS" : "", opt.threads, opt.batch, rate, rate * opt.size / 1e6,
            percentile_us(&latency, 0.5), percentile_us(&latency, 0.99), percentile_us(&latency, 0.999),
            (double)latency.max / 1000.0, (double)first_max / 1000.0, (unsigned long long)total_errors(), stalled,
            (double)oldest / 1000.0, client_percent(&before, &after), waits ? (double)events / (double)waits : 0,
            trips ? (double)(after.self.ru_nvcsw - before.self.ru_nvcsw) / (double)trips : 0);
    for (int i = 0; i < count; i++) {
        if (conns[i].dead) continue;
#ifdef LOADGEN_TLS
        if (conns[i].ssl) SSL_free(conns[i].ssl);
#endif
        close(conns[i].fd);
    }
    return total_errors() ? 1 : 0;
}

/* ---------------------------------------------------------------- connect-rate mode */

struct rate_worker {
    pthread_t thread;
    uint32_t id;
    struct histogram latency;
    uint64_t done;
};

static void *run_rate_worker(void *arg) {
    struct rate_worker *w = arg;
    for (uint64_t seq = 0; !interrupted; seq++) {
        uint64_t started = now_ns();
        if (started >= t_end) break;
        int fd = dial();
        if (fd < 0) continue;
        int ok = echo_once(fd, message_bytes(w->id, seq), (size_t)opt.size) == 0;
        close(fd);
        uint64_t now = now_ns();
        if (ok && now >= t_measure && now < t_end) {
            record(&w->latency, now - started);
            w->done++;
        }
    }
    return NULL;
}

static int run_connect_rate(void) {
    struct rate_worker *workers = calloc((size_t)opt.workers, sizeof *workers);
    uint64_t start = now_ns();
    t_measure = start + (uint64_t)(opt.warmup_s * 1e9);
    t_end = t_measure + (uint64_t)(opt.duration_s * 1e9);
    for (int i = 0; i < opt.workers; i++) {
        workers[i].id = (uint32_t)i;
        pthread_create(&workers[i].thread, NULL, run_rate_worker, &workers[i]);
    }
    struct cpu_sample before, after;
    sleep_until(t_measure);
    sample_cpu(&before);
    sleep_until(t_end);
    sample_cpu(&after);
    static struct histogram latency;
    uint64_t done = 0;
    for (int i = 0; i < opt.workers; i++) {
        pthread_join(workers[i].thread, NULL);
        merge(&latency, &workers[i].latency);
        done += workers[i].done;
    }
    double seconds = (double)(after.at - before.at) / 1e9;
    double rate = seconds > 0 ? (double)done / seconds : 0;
    printf("{\"mode\":\"connect-rate\",\"host\":\"%s\",\"port\":%d,\"workers\":%d,\"size\":%d,\"verify\":true,"
           "\"warmup_s\":%.3f,\"duration_s\":%.3f,\"connections_done\":%llu,\"connections_per_s\":%.1f",
           opt.host, opt.port, opt.workers, opt.size, opt.warmup_s, opt.duration_s, (unsigned long long)done, rate);
    print_latency_json("latency_us", &latency);
    print_errors_json();
    print_cpu_json(&before, &after);
    printf("}\n");
    fflush(stdout);
    fprintf(stderr, "connect-rate %d workers: %.0f connections/s, cycle latency us p50 %.1f p99 %.1f max %.1f, errors %llu, client CPU %.0f%%\n",
            opt.workers, rate, percentile_us(&latency, 0.5), percentile_us(&latency, 0.99), (double)latency.max / 1000.0,
            (unsigned long long)total_errors(), client_percent(&before, &after));
    return total_errors() ? 1 : 0;
}

/* ---------------------------------------------------------------- idle mode */

static int run_idle(void) {
    int *fds = malloc((size_t)opt.connections * sizeof *fds);
    int open = 0;
    uint64_t started = now_ns();
    for (int i = 0; i < opt.connections && !interrupted; i++) {
        int fd = dial();
        if (fd < 0) continue;
        if (opt.size > 0 && echo_once(fd, message_bytes((uint32_t)i, 0), (size_t)opt.size) != 0) {
            close(fd);
            continue;
        }
        fds[open++] = fd;
    }
    double seconds = (double)(now_ns() - started) / 1e9;
    printf("{\"mode\":\"idle\",\"event\":\"ready\",\"host\":\"%s\",\"port\":%d,\"connections\":%d,\"open\":%d,"
           "\"size\":%d,\"verify\":true,\"connect_s\":%.3f",
           opt.host, opt.port, opt.connections, open, opt.size, seconds);
    print_errors_json();
    printf("}\n");
    fflush(stdout);
    fprintf(stderr, "idle: %d of %d connections open in %.2f s, errors %llu; holding them until stdin closes\n", open,
            opt.connections, seconds, (unsigned long long)total_errors());
    char discard[256];
    while (!interrupted && read(STDIN_FILENO, discard, sizeof discard) > 0) {
    }
    for (int i = 0; i < open; i++) close(fds[i]);
    return total_errors() ? 1 : (open == 0 ? 2 : 0);
}

/* ---------------------------------------------------------------- main */

static void usage(const char *problem) {
    if (problem) fprintf(stderr, "loadgen: %s\n", problem);
    fprintf(stderr,
            "usage: loadgen echo         --port N [--host 127.0.0.1] -c CONNECTIONS -s BYTES [-t THREADS]\n"
            "                            [--batch EVENTS] [-w WARMUP_S] [-d DURATION_S] [--tls] [--cpu-stat 1,0]\n"
            "       loadgen connect-rate --port N [--host H] -W WORKERS [-s BYTES] [-w S] [-d S] [--cpu-stat LIST]\n"
            "       loadgen idle         --port N [--host H] -c CONNECTIONS [-s BYTES, 0 = no echo]\n"
            "echo: -t THREADS epoll loops (default 1) share the connections; --batch EVENTS caps the events\n"
            "      one epoll_wait returns (1..65536, default 512)\n"
            "common: --connect-timeout S (default 10); --pid-stat PID samples that process's CPU time\n"
            "        (utime + stime from /proc/PID/stat) at the edges of the measured window, as --cpu-stat does for CPUs\n");
    exit(2);
}

/* A whole number in low..high, or exit naming the flag: atoi would turn "4k" into 4 and "x" into 0. */
static long number(const char *flag, const char *value, long low, long high) {
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno || end == value || *end || n < low || n > high) {
        fprintf(stderr, "loadgen: %s must be a whole number from %ld to %ld, not '%s'\n", flag, low, high, value);
        exit(2);
    }
    return n;
}

static double seconds(const char *flag, const char *value) {
    char *end;
    errno = 0;
    double s = strtod(value, &end);
    if (errno || end == value || *end || !(s >= 0) || s > 1e6) {
        fprintf(stderr, "loadgen: %s must be a number of seconds from 0 to 1000000, not '%s'\n", flag, value);
        exit(2);
    }
    return s;
}

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

int main(int argc, char **argv) {
    if (argc < 2) usage(NULL);
    if (strcmp(argv[1], "echo") == 0) opt.mode = MODE_ECHO;
    else if (strcmp(argv[1], "connect-rate") == 0) opt.mode = MODE_CONNECT_RATE;
    else if (strcmp(argv[1], "idle") == 0) opt.mode = MODE_IDLE;
    else usage("the first argument is the mode: echo, connect-rate or idle");

    static const struct option options[] = {
        {"host", required_argument, NULL, 'h'},      {"port", required_argument, NULL, 'p'},
        {"connections", required_argument, NULL, 'c'}, {"size", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},   {"workers", required_argument, NULL, 'W'},
        {"warmup", required_argument, NULL, 'w'},    {"duration", required_argument, NULL, 'd'},
        {"tls", no_argument, NULL, 'T'},             {"cpu-stat", required_argument, NULL, 'C'},
        {"connect-timeout", required_argument, NULL, 'o'}, {"pid-stat", required_argument, NULL, 'P'},
        {"batch", required_argument, NULL, 'b'},     {NULL, 0, NULL, 0}};
    int ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "h:p:c:s:t:W:w:d:", options, NULL)) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = (int)number("--port", optarg, 1, 65535); break;
        case 'c': opt.connections = (int)number("-c/--connections", optarg, 1, 10000000); break;
        case 's': opt.size = (int)number("-s/--size", optarg, 0, MAX_SIZE); break;
        case 't': opt.threads = (int)number("-t/--threads", optarg, 1, 1024); break;
        case 'W': opt.workers = (int)number("-W/--workers", optarg, 1, 1024); break;
        case 'b': opt.batch = (int)number("--batch", optarg, 1, MAX_BATCH); break;
        case 'w': opt.warmup_s = seconds("-w/--warmup", optarg); break;
        case 'd': opt.duration_s = seconds("-d/--duration", optarg); break;
        case 'T': opt.tls = 1; break;
        case 'o': opt.connect_timeout_s = seconds("--connect-timeout", optarg); break;
        case 'P': opt.pid = (int)number("--pid-stat", optarg, 1, 1L << 22); break;
        case 'C':
            for (char *p = optarg; *p && opt.ncpus < MAX_CPUS;) {
                opt.cpus[opt.ncpus++] = (int)strtol(p, &p, 10);
                if (*p == ',') p++;
                else if (*p) usage("--cpu-stat takes a list of CPU numbers such as 1,0");
            }
            break;
        default: usage(NULL);
        }
    }
    if (optind != argc) usage("unexpected argument");
    if (opt.port <= 0 || opt.port > 65535) usage("--port 1..65535 is required");
    if (opt.size < (opt.mode == MODE_IDLE ? 0 : 1) || opt.size > (int)MAX_SIZE) usage("--size must be 1..1048576 bytes");
    if (opt.duration_s <= 0 || opt.connect_timeout_s <= 0) usage("-d/--duration and --connect-timeout must be above 0");
    if (opt.threads > opt.connections) opt.threads = opt.connections;
#ifndef LOADGEN_TLS
    if (opt.tls) {
        fprintf(stderr, "loadgen: built without TLS (rebuild with -DLOADGEN_TLS and OpenSSL's headers, libssl-dev)\n");
        return 2;
    }
#endif
    if (opt.tls && opt.mode != MODE_ECHO) usage("--tls is for echo mode only");
    if (opt.batch && opt.mode != MODE_ECHO) usage("--batch is for echo mode only");
    if (opt.batch == 0) opt.batch = DEFAULT_BATCH;

    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
    if (getaddrinfo(opt.host, NULL, &hints, &found) != 0) {
        fprintf(stderr, "loadgen: cannot resolve %s as IPv4\n", opt.host);
        return 2;
    }
    server_address = *(struct sockaddr_in *)found->ai_addr;
    server_address.sin_port = htons((uint16_t)opt.port);
    freeaddrinfo(found);

    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && opt.mode != MODE_CONNECT_RATE &&
        limit.rlim_cur < (rlim_t)opt.connections + 16) {
        fprintf(stderr, "loadgen: %d connections need more file descriptors than the limit of %llu (ulimit -n)\n",
                opt.connections, (unsigned long long)limit.rlim_cur);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    make_pattern();

    switch (opt.mode) {
    case MODE_ECHO: return run_echo();
    case MODE_CONNECT_RATE: return run_connect_rate();
    case MODE_IDLE: return run_idle();
    }
    return 2;
}
