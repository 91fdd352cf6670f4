/* RV32 clocks: only the time64 calls exist on riscv32 (clock_gettime64, clock_getres_time64,
   clock_nanosleep_time64, with a 64-bit struct timespec); the time32 numbers return ENOSYS.
   Ends with exit status 7. */
#include "rv32.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1

struct timespec64 {
    s64 tv_sec;
    s64 tv_nsec;
};

static s64 nanoseconds(const struct timespec64 *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

void _start(void) {
    struct timespec64 now, before, after, res;
    show("clock_gettime64 realtime", SYS2(NR_clock_gettime64, CLOCK_REALTIME, &now));
    show("after 2020", now.tv_sec > 1577836800LL);
    show("before 2100", now.tv_sec < 4102444800LL);
    show("nanoseconds in range", now.tv_nsec >= 0 && now.tv_nsec < 1000000000LL);
    SYS2(NR_clock_gettime64, CLOCK_MONOTONIC, &before);
    struct timespec64 nap = {0, 30000000};
    show("clock_nanosleep_time64", SYS4(NR_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &nap, 0));
    SYS2(NR_clock_gettime64, CLOCK_MONOTONIC, &after);
    show("slept 30 ms", nanoseconds(&after) - nanoseconds(&before) >= 30000000LL);
    show("clock_getres_time64", SYS2(NR_clock_getres_time64, CLOCK_MONOTONIC, &res));
    show("resolution at most 1 ms", res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    show("bad clock", SYS2(NR_clock_gettime64, 12345, &now));
    struct timespec64 bad = {0, 1000000000LL};
    show("bad timespec", SYS4(NR_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &bad, 0));
    show("time32 clock_gettime is not riscv32's", SYS2(NR_clock_gettime, CLOCK_REALTIME, &now));
    show("time32 nanosleep is not riscv32's", SYS2(NR_nanosleep, &nap, 0));
    exit_group(7);
}
