/* Interval timers and host-delivered signals: SIGALRM interrupts a compute loop, and a
   blocked read fails with EINTR (no SA_RESTART) or is restarted (SA_RESTART). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) { alarms++; }

static int pipe_fds[2];

static void feed_pipe(int sig) { write(pipe_fds[1], "x", 1); }

static void arm(long microseconds, long interval) {
    struct itimerval timer = {{0, interval}, {0, microseconds}};
    setitimer(ITIMER_REAL, &timer, NULL);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    arm(20000, 0);
    unsigned long spins = 0;
    while (!alarms) spins++;
    printf("alarm interrupted a busy loop: %d\n", alarms == 1 && spins > 0);

    int fds[2];
    pipe(fds);
    char byte;
    /* Repeating: a slow runner may reach read after the first expiry, which must not leave
       read waiting for ever (a later one interrupts it). */
    arm(20000, 20000);
    ssize_t got = read(fds[0], &byte, 1);
    printf("read without SA_RESTART: %zd %s\n", got, got < 0 && errno == EINTR ? "EINTR" : "?");
    arm(0, 0);

    pipe(pipe_fds);
    sa.sa_handler = feed_pipe;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    arm(20000, 0);  /* an expiry before read leaves its byte in the pipe for read */
    got = read(pipe_fds[0], &byte, 1);
    printf("read with SA_RESTART: %zd '%c'\n", got, got == 1 ? byte : '?');

    struct itimerval left;
    getitimer(ITIMER_REAL, &left);
    printf("timer disarmed: %d\n", left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0);

    if (argc > 1) {  /* the default action of an unhandled SIGALRM ends the process */
        signal(SIGALRM, SIG_DFL);
        arm(20000, 0);
        for (;;) {}
    }
    return 0;
}
