/* RV32 waitid (riscv32 has no wait4): a forked child's exit in a 32-bit siginfo (the pid
   right after signo, errno and code: no padding) and a 72-byte struct rusage. */
#include "rv32.h"

#define SIGCHLD 17
#define P_ALL 0
#define P_PID 1
#define WNOHANG 1
#define WEXITED 4
#define CLD_EXITED 1

void _start(void) {
    s32 info[32];
    u8 usage[80];
    show("waitid without children", SYS5(NR_waitid, P_ALL, 0, info, WEXITED | WNOHANG, 0));
    show("waitid bad idtype", SYS5(NR_waitid, 9, 0, info, WEXITED, 0));
    long child = SYS5(NR_clone, SIGCHLD, 0, 0, 0, 0);
    if (child == 0) exit_group(7);
    show("clone ok", child > 0);
    for (int i = 0; i < 32; i++) info[i] = -1;
    for (int i = 0; i < 80; i++) usage[i] = 0xAA;
    show("waitid", SYS5(NR_waitid, P_PID, child, info, WEXITED, usage));
    show("si_signo", info[0]);
    show("si_errno", info[1]);
    show("si_code", info[2]);
    show("si_pid is the child", info[3] == child);
    show("si_status", info[5]);
    show("rusage written", usage[0] != 0xAA);
    show("rusage is 72 bytes", usage[71] != 0xAA && usage[72] == 0xAA);
    show("waitid again", SYS5(NR_waitid, P_PID, child, info, WEXITED, 0));
    exit_group(0);
}
