/* Waiting for signals and POSIX timers: sigsuspend, pause, sigwaitinfo/sigtimedwait,
   sigqueue, timer_create with each notification, per-thread masks and pthread_kill. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

static volatile sig_atomic_t caught, caught_value;
static volatile pid_t handler_tid;

static void on_signal(int sig, siginfo_t *info, void *context) {
    (void)context;
    handler_tid = gettid();
    caught_value = info->si_value.sival_int;
    caught = sig;
}

static void install(int sig) {
    struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO};
    sigaction(sig, &sa, NULL);
}

static int blocked(int sig) {
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, sig);
}

static void suspend_and_pause(void) {
    install(SIGALRM);
    sigset_t alrm, during;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    arm_alarm(20000);
    sigemptyset(&during);
    int result = sigsuspend(&during);
    disarm_alarm();
    printf("sigsuspend: %s caught %d, SIGALRM blocked again %d\n", err(result), caught,
           blocked(SIGALRM));
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    caught = 0;
    arm_alarm(20000);
    result = pause();
    disarm_alarm();
    printf("pause: %s caught %d\n", err(result), caught);
}

static void waits(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    printf("sigwaitinfo: %d code %d pid ok %d\n", sig, info.si_code, info.si_pid == getpid());
    struct timespec short_wait = {0, 20 * 1000 * 1000};
    printf("sigtimedwait times out: %s\n", err(sigtimedwait(&set, &info, &short_wait)));
    short_wait.tv_nsec = -5;
    printf("sigtimedwait EINVAL: %s\n", err(sigtimedwait(&set, &info, &short_wait)));
    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 1234});
    sig = sigwaitinfo(&set, &info);
    printf("sigqueue: rtmin+%d code %d value %d\n", sig - SIGRTMIN, info.si_code,
           info.si_value.sival_int);
    sigset_t pending;
    raise(SIGUSR1);
    sigpending(&pending);
    printf("pending: %d\n", sigismember(&pending, SIGUSR1));
    int received;
    sigwait(&set, &received);
    printf("sigwait: %d\n", received);

    /* An unblocked signal with a handler ends the wait with EINTR instead. */
    caught = 0;
    install(SIGALRM);
    arm_alarm(20000);
    sig = sigwaitinfo(&set, &info);
    disarm_alarm();
    printf("sigwaitinfo interrupted: %s caught %d\n", err(sig), caught);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void timers(void) {
    printf("timer_create bad clock: %s\n", err(timer_create(99, NULL, &(timer_t){0})));
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2,
                          .sigev_value.sival_int = 77};
    timer_t timer;
    printf("timer_create: %s\n", err(timer_create(CLOCK_MONOTONIC, &ev, &timer)));
    install(SIGUSR2);
    caught = 0;
    struct itimerspec spec = {{0, 0}, {0, 20 * 1000 * 1000}}, left;
    timer_settime(timer, 0, &spec, NULL);
    timer_gettime(timer, &left);
    printf("armed: %d\n", left.it_value.tv_sec == 0 && left.it_value.tv_nsec > 0);
    unsigned long spins = 0;
    while (!caught) spins++;
    printf("one-shot interrupted a busy loop: sig %d value %d\n", caught, caught_value);
    timer_gettime(timer, &left);
    printf("disarmed after: %d\n", left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0);

    /* Periodic, blocked meanwhile: the expiries it missed are its overrun. */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    spec.it_interval.tv_nsec = 5 * 1000 * 1000;
    spec.it_value.tv_nsec = 5 * 1000 * 1000;
    timer_settime(timer, 0, &spec, NULL);
    usleep(60000);
    siginfo_t info;
    int sig = sigwaitinfo(&usr2, &info);
    printf("periodic: sig %d code %s value %d overrun %d\n", sig,
           info.si_code == SI_TIMER ? "SI_TIMER" : "?", info.si_value.sival_int,
           info.si_overrun > 0 && timer_getoverrun(timer) > 0);
    spec.it_value.tv_nsec = 2000000000;
    printf("settime EINVAL: %s\n", err(timer_settime(timer, 0, &spec, NULL)));
    printf("delete: %s\n", err(timer_delete(timer)));
    printf("delete again: %s\n", err(timer_delete(timer)));
    sigprocmask(SIG_UNBLOCK, &usr2, NULL);

    ev.sigev_notify = SIGEV_NONE;
    timer_create(CLOCK_REALTIME, &ev, &timer);
    spec.it_interval.tv_nsec = 0;
    spec.it_value.tv_sec = 5;
    spec.it_value.tv_nsec = 0;
    timer_settime(timer, 0, &spec, NULL);
    timer_gettime(timer, &left);
    printf("SIGEV_NONE running: %d\n", left.it_value.tv_sec == 4 || left.it_value.tv_sec == 5);
    timer_delete(timer);
}

static sem_t fired;
static volatile int thread_value;

static void on_expiry(union sigval value) {
    thread_value = value.sival_int;
    sem_post(&fired);
}

static volatile pid_t worker_tid;
static volatile int stop_worker;

static void *worker(void *arg) {
    (void)arg;
    worker_tid = gettid();
    while (!stop_worker) sched_yield();
    return NULL;
}

static void threads(void) {
    sem_init(&fired, 0, 0);
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_expiry,
                          .sigev_value.sival_int = 5};
    timer_t timer;
    timer_create(CLOCK_MONOTONIC, &ev, &timer);
    struct itimerspec spec = {{0, 0}, {0, 10 * 1000 * 1000}};
    timer_settime(timer, 0, &spec, NULL);
    sem_wait(&fired);
    printf("SIGEV_THREAD ran its function: %d\n", thread_value);
    timer_delete(timer);

    /* Masks are per thread: a process signal goes to the thread that lets it through. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    install(SIGUSR1);
    pthread_t thread;
    pthread_create(&thread, NULL, worker, NULL);
    while (!worker_tid) sched_yield();
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    caught = 0;
    kill(getpid(), SIGUSR1);
    while (!caught) sched_yield();
    printf("process signal handled by the unblocked thread: %d\n", handler_tid == worker_tid);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);

    caught = 0;
    pthread_kill(thread, SIGUSR1);
    while (!caught) sched_yield();
    printf("pthread_kill reaches its thread: %d\n", handler_tid == worker_tid);

    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev._sigev_un._tid = worker_tid;
    caught = 0;
    timer_create(CLOCK_MONOTONIC, &ev, &timer);
    timer_settime(timer, 0, &spec, NULL);
    while (!caught) sched_yield();
    printf("SIGEV_THREAD_ID reaches its thread: %d\n", handler_tid == worker_tid);
    timer_delete(timer);
    ev._sigev_un._tid = 999999;
    printf("SIGEV_THREAD_ID bad tid: %s\n", err(timer_create(CLOCK_MONOTONIC, &ev, &timer)));
    printf("tgkill bad tid: %s\n", err(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1)));
    stop_worker = 1;
    pthread_join(thread, NULL);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    suspend_and_pause();
    waits();
    timers();
    threads();
    return 0;
}
