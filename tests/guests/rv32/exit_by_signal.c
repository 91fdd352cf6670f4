/* An RV32 process that dies of SIGTERM (status 143), a blocked SIGUSR1 still pending. */
#include "rv32.h"

void _start(void) {
    long pid = SYS0(NR_getpid);
    u64 usr1 = 1ULL << 9;
    SYS4(NR_rt_sigprocmask, 0, &usr1, 0, 8);
    show("kill usr1 while blocked", SYS2(NR_kill, pid, 10));
    print("now SIGTERM\n");
    SYS2(NR_kill, pid, 15);
    print("never printed\n");
    exit_group(1);
}
