/* Helpers shared by the test guests: how a call's result is printed, and a SIGALRM that
   interrupts a wait. */
#ifndef REPORT_H
#define REPORT_H
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

/* "N" for a result N >= 0, else "-1 ENAME" (the errno's name, which qemu and Linux share).
   Several may stand in one printf: each call has its own buffer (of eight in turn). */
static inline const char *err(long result) {
    static char texts[8][64];
    static int next;
    char *text = texts[next++ % 8];
    if (result >= 0) snprintf(text, 64, "%ld", result);
    else snprintf(text, 64, "-1 %s", strerrorname_np(errno));
    return text;
}

/* SIGALRM every `microseconds` until disarmed: a wait that starts late (a slow emulator on a
   loaded machine) is still interrupted by the next one. */
static inline void arm_alarm(long microseconds) {
    struct itimerval timer = {{0, microseconds}, {0, microseconds}};
    setitimer(ITIMER_REAL, &timer, NULL);
}

static inline void disarm_alarm(void) {
    struct itimerval timer = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &timer, NULL);
}
#endif
