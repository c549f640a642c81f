/*
 * echo_epoll: the "how fast can this machine echo" reference server.
 *
 *   echo_epoll --port N [--bind 127.0.0.1] [--backlog 1024]
 *
 * One thread, one level-triggered epoll set, nonblocking sockets. Each readable socket gets one
 * read(2) into a shared 64 KiB buffer and the bytes are written straight back. A write that is
 * cut short (the peer's receive window is full) keeps the rest in a per-connection buffer and the
 * socket stops being read until that rest has been written (EPOLLOUT): backpressure, as every
 * server in the benchmark applies it. An idle connection costs one small struct, no buffer.
 *
 * Prints "listening on HOST:PORT" once the listen socket is ready (the real port when given 0)
 * and runs until SIGTERM or SIGINT.
 *
 * Build: gcc -O2 -Wall -Wextra -o echo_epoll echo_epoll.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_SIZE (64 * 1024)
#define MAX_EVENTS 256

struct conn {
    int fd;
    char *pending; /* bytes read but not yet written, or NULL */
    size_t pending_off, pending_len;
};

static volatile sig_atomic_t stop;
static char buffer[READ_SIZE];

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static void usage(void) {
    fprintf(stderr, "usage: echo_epoll --port N [--bind ADDRESS] [--backlog N]\n");
    exit(2);
}

static void close_conn(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->pending);
    free(c);
}

/* Writes what is pending; returns -1 if the connection failed, 0 otherwise. */
static int flush_pending(int ep, struct conn *c) {
    while (c->pending_off < c->pending_len) {
        ssize_t n = write(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
        if (n > 0) {
            c->pending_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return 0;
        } else {
            return -1;
        }
    }
    free(c->pending);
    c->pending = NULL;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Echoes one read; returns -1 when the connection is over. */
static int echo(int ep, struct conn *c) {
    ssize_t n = read(c->fd, buffer, sizeof buffer);
    if (n == 0) return -1;
    if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    size_t off = 0;
    while (off < (size_t)n) {
        ssize_t w = write(c->fd, buffer + off, (size_t)n - off);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN) {
            c->pending_len = (size_t)n - off;
            c->pending_off = 0;
            c->pending = malloc(c->pending_len);
            if (c->pending == NULL) return -1;
            memcpy(c->pending, buffer + off, c->pending_len);
            struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
            return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        } else {
            return -1;
        }
    }
    return 0;
}

static void accept_all(int ep, int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN) perror("echo_epoll: accept4");
            return; /* EAGAIN; on EMFILE the backlog keeps the rest until a descriptor frees up */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            perror("echo_epoll: epoll_ctl");
            close(fd);
            free(c);
        }
    }
}

int main(int argc, char **argv) {
    const char *bind_address = "127.0.0.1";
    int port = -1, backlog = 1024;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--bind") == 0) bind_address = argv[i + 1];
        else if (strcmp(argv[i], "--backlog") == 0) backlog = atoi(argv[i + 1]);
        else usage();
    }
    if (port < 0 || port > 65535) usage();

    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_address, &address.sin_addr) != 1) {
        fprintf(stderr, "echo_epoll: not an IPv4 address: %s\n", bind_address);
        return 2;
    }
    int one = 1;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, backlog) < 0) {
        perror("echo_epoll: listen");
        return 1;
    }
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event listen_event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &listen_event);
    printf("listening on %s:%d\n", bind_address, ntohs(address.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    while (!stop) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("echo_epoll: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {
                accept_all(ep, listener);
                continue;
            }
            int failed;
            if (c->pending != NULL) {
                failed = (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ? flush_pending(ep, c) : 0;
            } else {
                failed = echo(ep, c);
            }
            if (failed < 0) close_conn(ep, c);
        }
    }
    return 0;
}
