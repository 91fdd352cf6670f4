/* A thread blocked in the host (a read of an empty pipe, a large write, a sleep, epoll_wait,
   sigwait, waitpid, a futex) never stops the others; a signal for a blocked thread interrupts
   it (EINTR, or a restart under SA_RESTART). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2];
static volatile int progress;

static void *reader(void *arg) {
    (void)arg;
    char buf[16] = {0};
    ssize_t got = read(pipe_fds[0], buf, sizeof buf - 1);
    printf("reader got %zd: %s (main had progressed: %d)\n", got, buf, progress > 0);
    return NULL;
}

static void read_while_others_run(void) {
    pipe(pipe_fds);
    pthread_t thread;
    pthread_create(&thread, NULL, reader, NULL);
    for (int i = 0; i < 200000; i++) progress++;
    write(pipe_fds[1], "hello", 5);
    pthread_join(thread, NULL);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

#define BIG (1 << 20)

static void *big_writer(void *arg) {
    char *data = arg;
    ssize_t done = write(pipe_fds[1], data, BIG);
    printf("writer wrote %zd\n", done);
    close(pipe_fds[1]);
    return NULL;
}

static void big_write_through_a_pipe(void) {
    pipe(pipe_fds);
    char *data = malloc(BIG);
    for (int i = 0; i < BIG; i++) data[i] = (char)(i * 7);
    pthread_t thread;
    pthread_create(&thread, NULL, big_writer, data);
    char buf[4096];
    long total = 0, sum = 0;
    ssize_t got;
    while ((got = read(pipe_fds[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++) sum += (unsigned char)buf[i] ^ (char)((total + i) * 7);
        total += got;
    }
    pthread_join(thread, NULL);
    printf("reader read %ld, mismatches %ld\n", total, sum);
    close(pipe_fds[0]);
    free(data);
}

static volatile int slept;

static void *sleeper(void *arg) {
    (void)arg;
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL);
    slept = 1;
    return NULL;
}

static void sleep_while_others_run(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, sleeper, NULL);
    long spins = 0;
    while (!slept) spins++;
    pthread_join(thread, NULL);
    printf("main spun while its thread slept: %d\n", spins > 0);
}

static void *epoll_waiter(void *arg) {
    int ep = *(int *)arg;
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 5000);
    printf("epoll_wait in a thread: %d data %d\n", n, out.data.u32);
    return NULL;
}

static void epoll_in_a_thread(void) {
    pipe(pipe_fds);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 31};
    epoll_ctl(ep, EPOLL_CTL_ADD, pipe_fds[0], &ev);
    pthread_t thread;
    pthread_create(&thread, NULL, epoll_waiter, &ep);
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL);
    write(pipe_fds[1], "x", 1);
    pthread_join(thread, NULL);
    close(ep);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { (void)sig; handled++; }
static volatile int reader_started;

static void *interruptible_reader(void *arg) {
    (void)arg;
    char c;
    reader_started = 1;
    ssize_t got = read(pipe_fds[0], &c, 1);
    if (got < 0) printf("blocked read: -1 %s after %d handler(s)\n", strerrorname_np(errno), handled);
    else printf("blocked read: %zd '%c' after %d handler(s)\n", got, c, handled);
    return NULL;
}

static void interrupt_a_blocked_thread(int restart) {
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
    sigaction(SIGUSR1, &sa, NULL);
    pipe(pipe_fds);
    handled = 0;
    reader_started = 0;
    pthread_t thread;
    pthread_create(&thread, NULL, interruptible_reader, NULL);
    while (!reader_started) sched_yield();
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL);
    pthread_kill(thread, SIGUSR1);
    nanosleep(&t, NULL);
    write(pipe_fds[1], "r", 1);
    pthread_join(thread, NULL);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void *signal_waiter(void *arg) {
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    printf("sigwait in a thread: %d\n", sig);
    return NULL;
}

static void sigwait_in_a_thread(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t thread;
    pthread_create(&thread, NULL, signal_waiter, &set);
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL);
    kill(getpid(), SIGUSR2);
    pthread_join(thread, NULL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void *child_waiter(void *arg) {
    pid_t child = *(pid_t *)arg;
    int status = 0;
    pid_t waited = waitpid(child, &status, 0);
    printf("waitpid in a thread: %d status %d (main had progressed: %d)\n", waited == child,
           WEXITSTATUS(status), progress > 0);
    return NULL;
}

static void waitpid_in_a_thread(void) {
    pid_t child = fork();
    if (child == 0) {
        struct timespec t = {0, 50 * 1000 * 1000};
        nanosleep(&t, NULL);
        _exit(3);
    }
    progress = 0;
    pthread_t thread;
    pthread_create(&thread, NULL, child_waiter, &child);
    for (int i = 0; i < 100000; i++) progress++;
    pthread_join(thread, NULL);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    read_while_others_run();
    big_write_through_a_pipe();
    sleep_while_others_run();
    epoll_in_a_thread();
    interrupt_a_blocked_thread(0);
    interrupt_a_blocked_thread(1);
    sigwait_in_a_thread();
    waitpid_in_a_thread();
    return 0;
}
