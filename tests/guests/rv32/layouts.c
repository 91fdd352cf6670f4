/* RV32 structures with longs or pointers in them, which are 32-bit here: aio_context_t,
   pselect6's sigmask argument, struct sigevent (and the timer's siginfo), struct mq_attr,
   struct msgbuf's mtype, and msqid64_ds/semid64_ds (whose perm ends in 32-bit longs and
   whose times are split in two words). Each value is printed where riscv32 puts it. */
#include "rv32.h"

#define NR_io_setup 0
#define NR_io_destroy 1
#define NR_timer_create 107
#define NR_timer_delete 111
#define NR_getpid 172
#define NR_mq_open 180
#define NR_mq_unlink 181
#define NR_mq_getsetattr 185
#define NR_msgget 186
#define NR_msgctl 187
#define NR_msgrcv 188
#define NR_msgsnd 189
#define NR_semget 190
#define NR_semctl 191
#define NR_timer_settime64 409
#define NR_pselect6_time64 413
#define NR_mq_timedsend_time64 418
#define NR_mq_timedreceive_time64 419
#define NR_rt_sigtimedwait_time64 421
#define CLOCK_MONOTONIC 1
#define SIGUSR1 10
#define SIG_BLOCK 0
#define SIGEV_SIGNAL 0
#define O_RDWR 2
#define O_CREAT 0100
#define IPC_PRIVATE 0
#define IPC_RMID 0
#define IPC_STAT 2
#define GETVAL 12
#define SETVAL 16

static u32 word(const void *base, int offset) { return *(const u32 *)((const u8 *)base + offset); }

void _start(void) {
    /* io_setup writes an unsigned long: the word after it stays as it was */
    u32 context[2] = {0, 0x5a5a5a5a};
    show("io_setup", SYS2(NR_io_setup, 4, context));
    show("io_setup context set", context[0] != 0);
    show("io_setup word after kept", context[1] == 0x5a5a5a5a);
    show("io_destroy", SYS1(NR_io_destroy, context[0]));

    /* pselect6: { const sigset_t *ss; size_t ss_len; } of two 32-bit words */
    u64 mask = 1ULL << (SIGUSR1 - 1);
    struct { void *set; u32 size; } sigmask = {&mask, 8};
    s64 zero[2] = {0, 0};
    show("pselect6 with a sigmask", SYS6(NR_pselect6_time64, 0, 0, 0, 0, zero, &sigmask));

    /* a timer's signal, its value where riscv32's siginfo has si_value */
    SYS4(NR_rt_sigprocmask, SIG_BLOCK, &mask, 0, 8);
    struct { u32 value; s32 signo, notify, tid; u32 pad[12]; } event = {0x1234, SIGUSR1,
                                                                        SIGEV_SIGNAL, 0, {0}};
    s32 timer = -1;
    show("timer_create", SYS3(NR_timer_create, CLOCK_MONOTONIC, &event, &timer));
    s64 soon[4] = {0, 0, 0, 1000000};  /* it_interval 0, it_value 1 ms */
    show("timer_settime64", SYS4(NR_timer_settime64, timer, 0, soon, 0));
    s32 info[32];
    show("rt_sigtimedwait", SYS4(NR_rt_sigtimedwait_time64, &mask, info, 0, 8));
    show("si_code", info[2]);
    show("si_value", info[5]);
    show("timer_delete", SYS1(NR_timer_delete, timer));

    /* POSIX message queue attributes: four 32-bit longs (and four reserved) */
    s32 attr[8] = {0, 3, 16, 0, 0, 0, 0, 0};
    const char *name = "/pyemu-rv32-layouts";  /* the kernel takes it without the '/', as */
    int queue = SYS4(NR_mq_open, name + 1, O_RDWR | O_CREAT, 0600, attr);  /* from glibc */
    show("mq_open ok", queue >= 0);
    show("mq_timedsend", SYS5(NR_mq_timedsend_time64, queue, "hello", 5, 1, 0));
    s32 old[8];
    show("mq_getsetattr", SYS3(NR_mq_getsetattr, queue, 0, old));
    show("mq_maxmsg", old[1]);
    show("mq_msgsize", old[2]);
    show("mq_curmsgs", old[3]);
    char text[16];
    show("mq_timedreceive", SYS5(NR_mq_timedreceive_time64, queue, text, 16, 0, 0));
    SYS1(NR_close, queue);
    show("mq_unlink", SYS1(NR_mq_unlink, name + 1));

    /* System V messages: a 32-bit mtype, and msqid64_ds */
    int pid = SYS0(NR_getpid);
    int messages = SYS3(NR_msgget, IPC_PRIVATE, 0600, 0);
    show("msgget ok", messages >= 0);
    struct { u32 mtype; char text[8]; } out = {7, "abc"}, in = {0, ""};
    show("msgsnd", SYS4(NR_msgsnd, messages, &out, 4, 0));
    u32 ds[32];
    show("msgctl IPC_STAT", SYS3(NR_msgctl, messages, IPC_STAT, ds));
    show("msg mode", word(ds, 20) & 0777);
    show("msg stime high", word(ds, 40));
    show("msg cbytes", word(ds, 60));
    show("msg qnum", word(ds, 64));
    show("msg lspid is ours", word(ds, 72) == (u32)pid);
    show("msgrcv", SYS5(NR_msgrcv, messages, &in, 8, 0, 0));
    show("msgrcv mtype", in.mtype);
    show("msgrcv text abc", equal(in.text, "abc", 4));
    show("msgctl IPC_RMID", SYS3(NR_msgctl, messages, IPC_RMID, 0));

    /* System V semaphores: semid64_ds */
    int semaphores = SYS3(NR_semget, IPC_PRIVATE, 3, 0600);
    show("semget ok", semaphores >= 0);
    show("semctl SETVAL", SYS4(NR_semctl, semaphores, 1, SETVAL, 5));
    show("semctl GETVAL", SYS4(NR_semctl, semaphores, 1, GETVAL, 0));
    show("semctl IPC_STAT", SYS4(NR_semctl, semaphores, 0, IPC_STAT, ds));
    show("sem mode", word(ds, 20) & 0777);
    show("sem ctime high", word(ds, 48));
    show("sem nsems", word(ds, 52));
    show("semctl IPC_RMID", SYS4(NR_semctl, semaphores, 0, IPC_RMID, 0));
    exit_group(0);
}
