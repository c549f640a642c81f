/*
 * syscall_cost: what read(2)/write(2) cost on a TCP socket against recv(2)/send(2) on this machine.
 *
 *   syscall_cost [--iterations N] [--rounds R] [--size BYTES]
 *
 * The JDK's SocketChannel reads and writes a socket with read(2) and write(2), which go through
 * the VFS layer; Netty's native transport and most C servers call recv(2)/send(2) (recvfrom and
 * sendto), which do not. This program measures the difference without any server: one thread, one
 * loopback TCP connection (both ends in this process, TCP_NODELAY), and per iteration a ping and a
 * pong of BYTES each way: four calls, each of which finds its bytes already there, as a busy
 * server's calls do (loopback delivers a segment before the sending call returns).
 *
 * The two variants alternate, R rounds of N iterations each after a warm-up of each; it prints
 * every round and then one line with the medians:
 *
 *   syscall_cost: 64 B, read/write 1234.5 ns, recv/send 1111.1 ns per iteration (4 calls): ...
 *
 * Pin it to one core (taskset -c 1) as the servers are pinned. Build:
 * gcc -O2 -Wall -Wextra -o syscall_cost syscall_cost.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65536
#define MAX_ROUNDS 99

static char out_buffer[MAX_SIZE];
static char in_buffer[MAX_SIZE];

static void die(const char *what) {
    fprintf(stderr, "syscall_cost: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Writes all of size bytes with write(2) or send(2). */
static void put(int fd, size_t size, int use_send) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = use_send ? send(fd, out_buffer + done, size - done, 0)
                             : write(fd, out_buffer + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            die(use_send ? "send" : "write");
        }
        done += (size_t)n;
    }
}

/* Reads exactly size bytes with read(2) or recv(2); blocking, so a short read waits for the rest. */
static void take(int fd, size_t size, int use_recv) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = use_recv ? recv(fd, in_buffer + done, size - done, 0)
                             : read(fd, in_buffer + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            die(use_recv ? "recv" : "read");
        }
        if (n == 0) {
            errno = ECONNRESET;
            die("the connection closed");
        }
        done += (size_t)n;
    }
}

/* Runs iterations of ping and pong; returns nanoseconds per iteration. */
static double run(int a, int b, long iterations, size_t size, int use_socket_calls) {
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        put(a, size, use_socket_calls);
        take(b, size, use_socket_calls);
        put(b, size, use_socket_calls);
        take(a, size, use_socket_calls);
    }
    return (now_ns() - start) / (double)iterations;
}

static int compare(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof *values, compare);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

static long parse(const char *flag, const char *value, long low, long high) {
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno || *end || n < low || n > high) {
        fprintf(stderr, "syscall_cost: %s must be a number from %ld to %ld, not '%s'\n", flag, low, high, value);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv) {
    long iterations = 200000;
    int rounds = 5;
    size_t size = 64;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--iterations") == 0) {
            iterations = parse(argv[i], argv[i + 1], 1, 100000000L);
            i++;
        } else if (i + 1 < argc && strcmp(argv[i], "--rounds") == 0) {
            rounds = (int)parse(argv[i], argv[i + 1], 1, MAX_ROUNDS);
            i++;
        } else if (i + 1 < argc && strcmp(argv[i], "--size") == 0) {
            size = (size_t)parse(argv[i], argv[i + 1], 1, MAX_SIZE);
            i++;
        } else {
            fprintf(stderr, "usage: syscall_cost [--iterations N] [--rounds R] [--size BYTES]\n");
            return 2;
        }
    }

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind 127.0.0.1:0");
    if (listen(listener, 1) < 0) die("listen");
    if (getsockname(listener, (struct sockaddr *)&address, &length) < 0) die("getsockname");
    int a = socket(AF_INET, SOCK_STREAM, 0);
    if (a < 0) die("socket");
    if (connect(a, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
    int b = accept(listener, NULL, NULL);
    if (b < 0) die("accept");
    close(listener);
    int on = 1;
    if (setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0 ||
        setsockopt(b, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) {
        die("TCP_NODELAY");
    }
    memset(out_buffer, 'x', sizeof out_buffer);

    run(a, b, iterations / 4 + 1, size, 0);
    run(a, b, iterations / 4 + 1, size, 1);
    double file_calls[MAX_ROUNDS], socket_calls[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        file_calls[r] = run(a, b, iterations, size, 0);
        socket_calls[r] = run(a, b, iterations, size, 1);
        printf("round %d: read/write %.1f ns, recv/send %.1f ns per iteration\n", r + 1, file_calls[r],
               socket_calls[r]);
    }
    double file_median = median(file_calls, rounds), socket_median = median(socket_calls, rounds);
    printf("syscall_cost: %zu B, read/write %.1f ns, recv/send %.1f ns per iteration (4 calls): "
           "read/write costs %.1f ns more per call\n",
           size, file_median, socket_median, (file_median - socket_median) / 4);
    close(a);
    close(b);
    return 0;
}
