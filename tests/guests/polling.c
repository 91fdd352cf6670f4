/* Waiting for descriptors: poll/ppoll, select/pselect, epoll (level- and edge-triggered,
   one-shot, the guest's own data, errors), eventfd and timerfd. With "pwait2": epoll_pwait2,
   which qemu 7.2 does not have. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void polls(void) {
    int p[2];
    pipe(p);
    struct pollfd fds[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}};
    int n = poll(fds, 3, 0);
    printf("poll empty pipe: %d in=%#x out=%#x ignored=%#x\n", n, fds[0].revents, fds[1].revents,
           fds[2].revents);
    write(p[1], "abc", 3);
    n = poll(fds, 2, -1);
    printf("poll after write: %d in=%#x out=%#x\n", n, fds[0].revents, fds[1].revents);
    struct pollfd bad = {999, POLLIN, 0};
    /* Each call is made before the printf that shows what it changed: the order in which a
       call's arguments are evaluated is the compiler's, and differs between RISC-V and x86. */
    n = poll(&bad, 1, 0);
    printf("poll bad fd: %d revents=%#x\n", n, bad.revents);
    struct pollfd reader = {p[0], POLLIN, 0};
    char buf[8];
    read(p[0], buf, sizeof buf);
    struct timespec ts = {0, 30 * 1000 * 1000};
    n = ppoll(&reader, 1, &ts, NULL);
    printf("ppoll times out: %d revents=%#x\n", n, reader.revents);
    close(p[1]);
    n = poll(&reader, 1, 100);
    printf("poll after writer closed: %d revents=%#x\n", n, reader.revents);
    close(p[0]);
    struct pollfd *volatile unmapped = (struct pollfd *)8;
    printf("poll EFAULT: %s\n", err(poll(unmapped, 1, 0)));
    printf("poll EINVAL: %s\n", err(ppoll(fds, 1, &(struct timespec){0, 2000000000}, NULL)));

    /* A signal ends poll with EINTR, even under SA_RESTART. */
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    pipe(p);
    arm_alarm(20000);
    n = poll(fds, 1, -1);
    disarm_alarm();
    printf("poll interrupted: %s handler ran %d\n", err(n), alarms > 0);
    alarms = 0;

    /* ppoll's mask: SIGALRM blocked outside, let through only while waiting. */
    sigset_t block, during;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    arm_alarm(20000);
    usleep(50000);
    printf("alarm held while blocked: %d\n", alarms == 0);
    sigemptyset(&during);
    fds[0].fd = p[0];
    n = ppoll(fds, 1, NULL, &during);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    disarm_alarm();
    printf("ppoll with mask: %s handled once %d still blocked=%d\n", err(n), alarms == 1,
           sigismember(&now, SIGALRM));
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    close(p[0]);
    close(p[1]);
}

static void selects(void) {
    int p[2];
    pipe(p);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    int n = select(p[1] + 1, &r, &w, NULL, &tv);
    printf("select: %d read=%d write=%d\n", n, FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(p[1], &r);
    n = select(p[1] + 1, &r, NULL, NULL, NULL);
    printf("select readable: %d read0=%d read1=%d\n", n, FD_ISSET(p[0], &r), FD_ISSET(p[1], &r));
    char c;
    read(p[0], &c, 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    n = select(p[0] + 1, &r, NULL, NULL, &tv);
    printf("select times out: %d read=%d\n", n, FD_ISSET(p[0], &r));
    FD_ZERO(&r);
    int closed = dup(0);
    close(closed);
    FD_SET(closed, &r);
    printf("select bad fd: %s\n", err(select(closed + 1, &r, NULL, NULL, &tv)));
    printf("select negative nfds: %s\n", err(select(-1, NULL, NULL, NULL, &tv)));
    struct timespec ts = {0, 10000000};
    sigset_t empty;
    sigemptyset(&empty);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    printf("pselect times out: %d\n", pselect(p[0] + 1, &r, NULL, NULL, &ts, &empty));
    close(p[0]);
    close(p[1]);
}

static void epolls(int with_pwait2) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("epoll cloexec: %d\n", (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);
    printf("epoll_create1 bad flags: %s\n", err(epoll_create1(1)));
    int p[2], q[2];
    pipe(p);
    pipe(q);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull};
    printf("add: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)));
    printf("add again: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)));
    printf("mod missing: %s\n", err(epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &ev)));
    printf("add itself: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev)));
    printf("add bad fd: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev)));
    printf("ctl on a pipe: %s\n", err(epoll_ctl(p[0], EPOLL_CTL_ADD, q[0], &ev)));
    int file = open("epoll-file", O_CREAT | O_RDWR, 0644);
    printf("add regular file: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev)));
    close(file);
    unlink("epoll-file");

    struct epoll_event out[4];
    printf("nothing ready: %d\n", epoll_wait(ep, out, 4, 0));
    printf("times out: %d\n", epoll_wait(ep, out, 4, 20));
    printf("maxevents 0: %s\n", err(epoll_wait(ep, out, 0, 0)));
    if (with_pwait2) {  /* with the host as the oracle: qemu 7.2 answers EFAULT */
        struct epoll_event *volatile unmapped = (struct epoll_event *)8;
        printf("pwait2 run, epoll_wait into an unmapped buffer, nothing ready: %s\n",
               err(epoll_wait(ep, unmapped, 4, 0)));
    }
    write(p[1], "ab", 2);
    int n = epoll_wait(ep, out, 4, -1);
    printf("level: %d events=%#x data=%#llx\n", n, out[0].events,
           (unsigned long long)out[0].data.u64);
    printf("level again: %d\n", epoll_wait(ep, out, 4, 0));

    ev.events = EPOLLIN | EPOLLET;
    ev.data.u32 = 7;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    printf("edge: %d data=%u\n", epoll_wait(ep, out, 4, 0), out[0].data.u32);
    printf("edge again: %d\n", epoll_wait(ep, out, 4, 0));
    write(p[1], "c", 1);
    printf("edge after new data: %d\n", epoll_wait(ep, out, 4, 0));

    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.fd = q[0];
    epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
    write(q[1], "z", 1);
    ev.events = EPOLLOUT;
    ev.data.fd = 1000;
    epoll_ctl(ep, EPOLL_CTL_ADD, q[1], &ev);
    n = epoll_wait(ep, out, 4, 0);
    int seen_q0 = 0, seen_q1 = 0;
    for (int i = 0; i < n; i++) {
        seen_q0 |= out[i].data.fd == q[0] && (out[i].events & EPOLLIN);
        seen_q1 |= out[i].data.fd == 1000 && (out[i].events & EPOLLOUT);
    }
    printf("oneshot + out: %d q0=%d q1=%d\n", n, seen_q0, seen_q1);
    epoll_ctl(ep, EPOLL_CTL_DEL, q[1], NULL);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
    printf("oneshot disarmed: %d\n", epoll_wait(ep, out, 4, 0));
    printf("del missing: %s\n", err(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));

    ev.events = EPOLLIN;
    ev.data.u64 = 42;
    epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &ev);
    if (with_pwait2) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL);
        printf("pwait2 times out: %d\n", epoll_pwait2(ep, out, 4, &ts, NULL));
        epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
        int ready = epoll_pwait2(ep, out, 4, NULL, NULL);  /* before out[0] is read */
        printf("pwait2 ready: %d data=%llu\n", ready, (unsigned long long)out[0].data.u64);
        ts.tv_nsec = -1;
        printf("pwait2 EINVAL: %s\n", err(epoll_pwait2(ep, out, 4, &ts, NULL)));
    }

    /* A hang-up: the writer goes away. */
    char buf[4];
    read(q[0], buf, sizeof buf);
    close(q[1]);
    n = epoll_wait(ep, out, 4, 0);
    printf("hangup: %d events=%#x\n", n, out[0].events);

    /* epoll_wait on an epoll set watching another epoll set. */
    int outer = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.u32 = 99;
    epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev);
    n = epoll_wait(outer, out, 4, 0);
    printf("nested: %d data=%u\n", n, out[0].data.u32);

    arm_alarm(20000);
    int before = alarms;
    close(p[0]);
    pipe(p);
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL);
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    n = epoll_wait(ep, out, 4, -1);
    disarm_alarm();
    printf("epoll_wait interrupted: %s handler ran %d\n", err(n), alarms > before);
    close(outer);
    close(ep);
}

static void eventfds(void) {
    int fd = eventfd(3, EFD_NONBLOCK);
    uint64_t value;
    printf("eventfd read: %zd value=%llu\n", read(fd, &value, 8), (unsigned long long)value);
    printf("eventfd empty: %s\n", err(read(fd, &value, 8)));
    value = 5;
    write(fd, &value, 8);
    write(fd, &value, 8);
    read(fd, &value, 8);
    printf("eventfd sum: %llu\n", (unsigned long long)value);
    printf("eventfd short read: %s\n", err(read(fd, &value, 4)));
    value = UINT64_MAX;
    printf("eventfd max write: %s\n", err(write(fd, &value, 8)));
    close(fd);
    fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    read(fd, &value, 8);
    printf("semaphore: %llu", (unsigned long long)value);
    read(fd, &value, 8);
    printf(" %llu", (unsigned long long)value);
    printf(" then %s\n", err(read(fd, &value, 8)));
    struct pollfd pfd = {fd, POLLIN | POLLOUT, 0};
    poll(&pfd, 1, 0);
    printf("eventfd poll: %#x\n", pfd.revents);
    close(fd);
    printf("eventfd bad flags: %s\n", err(eventfd(0, 0x40)));
}

static void timerfds(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    printf("timerfd cloexec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    struct itimerspec spec = {{0, 10 * 1000 * 1000}, {0, 10 * 1000 * 1000}}, now;
    printf("settime: %s\n", err(timerfd_settime(fd, 0, &spec, NULL)));
    timerfd_gettime(fd, &now);
    printf("gettime: interval %ld.%09ld armed %d\n", (long)now.it_interval.tv_sec,
           now.it_interval.tv_nsec, now.it_value.tv_nsec > 0 || now.it_value.tv_sec > 0);
    uint64_t expirations = 0;
    read(fd, &expirations, 8);
    printf("expired: %d\n", expirations >= 1);
    usleep(35000);
    read(fd, &expirations, 8);
    printf("expired again, several: %d\n", expirations >= 2);
    struct itimerspec off = {{0, 0}, {0, 0}};
    timerfd_settime(fd, 0, &off, &now);
    printf("old value returned: %d\n", now.it_interval.tv_nsec == 10 * 1000 * 1000);
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    printf("disarmed read: %s\n", err(read(fd, &expirations, 8)));
    spec.it_value.tv_nsec = 1000000000;
    printf("settime EINVAL: %s\n", err(timerfd_settime(fd, 0, &spec, NULL)));
    printf("create EINVAL: %s\n", err(timerfd_create(12345, 0)));
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct itimerspec absolute = {{0, 0}, {t.tv_sec, t.tv_nsec}};
    int real = timerfd_create(CLOCK_REALTIME, 0);
    timerfd_settime(real, TFD_TIMER_ABSTIME, &absolute, NULL);
    read(real, &expirations, 8);
    printf("absolute past expiry: %llu\n", (unsigned long long)expirations);
    close(real);
    close(fd);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    polls();
    selects();
    epolls(argc > 1 && !strcmp(argv[1], "pwait2"));
    eventfds();
    timerfds();
    return 0;
}
