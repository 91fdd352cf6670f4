/* RV32 signals: rt_sigaction with SA_SIGINFO handlers, the riscv32 rt_sigframe (siginfo with
   its union at offset 12, the ucontext with 32-bit stack_t and registers, the F/D state), a
   handler changing the interrupted registers, faults whose handler skips the instruction,
   sigaltstack, and rt_sigreturn restoring x, f and fcsr. Exit status 42. */
#include "rv32.h"

#define SIGILL 4
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGTERM 15
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SIG_BLOCK 0
#define SIG_SETMASK 2
#define BIT(s) (1ULL << ((s) - 1))

struct kernel_sigaction {
    void *handler;
    u32 flags;
    u64 mask; /* two 32-bit words */
} __attribute__((packed));

struct siginfo {
    s32 signo, errno_, code;
    union {
        struct { s32 pid; u32 uid; } kill;
        void *addr;
    };
    u8 rest[128 - 16];
};

struct stack {
    void *sp;
    s32 flags;
    u32 size;
};

struct ucontext {
    u32 flags;
    struct ucontext *link;
    struct stack stack;
    u32 sigmask[2]; /* sigset_t: two 32-bit words, 4-byte aligned */
    u8 unused[120];
    u8 align[12]; /* the mcontext is 16-byte aligned: offset 160 */
    u32 regs[32]; /* pc, then x1..x31 */
    u64 f[32];
    u32 fcsr;
};

_Static_assert(__builtin_offsetof(struct ucontext, regs) == 160, "mcontext");
_Static_assert(__builtin_offsetof(struct ucontext, f) == 288, "fp state");

static void install(int signo, void (*handler)(int, struct siginfo *, struct ucontext *),
                    u32 flags, u64 mask) {
    struct kernel_sigaction action = {(void *)handler, SA_SIGINFO | flags, mask};
    long r = SYS4(NR_rt_sigaction, signo, &action, 0, 8);
    if (r) show("rt_sigaction failed", r);
}

static u64 blocked_now(void) {
    u64 set = 0;
    SYS4(NR_rt_sigprocmask, SIG_BLOCK, 0, &set, 8);
    return set;
}

static const double one_and_a_half = 1.5, ninety_nine = 99.0;

static void on_usr1(int signo, struct siginfo *info, struct ucontext *uc) {
    show("usr1 signo", signo);
    show("usr1 si_signo", info->signo);
    show("usr1 si_code", info->code);
    show("usr1 si_pid is ours", info->kill.pid == SYS0(NR_getpid));
    show("usr1 mask before had usr2", (uc->sigmask[0] & BIT(SIGUSR2)) != 0);
    u64 now = blocked_now();
    show("usr1 blocked in handler", (now & BIT(SIGUSR1)) != 0);
    show("sa_mask blocked in handler", (now & BIT(SIGTERM)) != 0);
    show("saved a0 (kill's result)", uc->regs[10]);
    show("saved a7 (kill)", uc->regs[17]);
    show("saved fs0 is 1.5", equal(&uc->f[8], &one_and_a_half, 8));
    show("saved fcsr", uc->fcsr);
    show("uc_stack flags", uc->stack.flags);
    __asm__ volatile("fld fs0, 0(%0)\n fscsr zero" : : "r"(&ninety_nine) : "fs0");
    uc->regs[10] = 1234; /* kill "returns" 1234 */
}

static u8 alternate[16384] __attribute__((aligned(16)));

static void on_usr2(int signo, struct siginfo *info, struct ucontext *uc) {
    u8 here;
    (void)info;
    show("usr2 signo", signo);
    show("usr2 on the alternate stack", &here > alternate && &here < alternate + sizeof alternate);
    show("uc_stack sp", uc->stack.sp == alternate);
    show("uc_stack size", uc->stack.size);
    struct stack old;
    SYS2(NR_sigaltstack, 0, &old);
    show("sigaltstack flags inside", old.flags);
}

extern char fault_load[], bad_instruction[];

static void on_fault(int signo, struct siginfo *info, struct ucontext *uc) {
    show("fault signo", signo);
    show("fault si_code", info->code);
    if (signo == SIGSEGV) show("fault si_addr", (s32)info->addr);
    else show("fault si_addr is pc", info->addr == bad_instruction);
    show("fault pc", uc->regs[0] == (u32)(signo == SIGSEGV ? fault_load : bad_instruction));
    uc->regs[0] += 4; /* go on after the faulting instruction */
}

void _start(void) {
    long pid = SYS0(NR_getpid);
    install(SIGUSR1, on_usr1, 0, BIT(SIGTERM));
    u64 mask = BIT(SIGUSR2);
    SYS4(NR_rt_sigprocmask, SIG_SETMASK, &mask, 0, 8);

    double after;
    long result;
    u32 fcsr;
    register long a0 __asm__("a0") = pid;
    __asm__ volatile(
        "fld fs0, 0(%[in])\n"
        "fsrmi 1\n"
        "csrsi fflags, 1\n"
        "li a1, 10\n"
        "li a7, 129\n"
        "ecall\n"
        "fsd fs0, 0(%[out])\n"
        "frcsr %[fcsr]\n"
        : "+r"(a0), [fcsr] "=r"(fcsr)
        : [in] "r"(&one_and_a_half), [out] "r"(&after)
        : "a1", "a7", "fs0", "memory");
    result = a0;
    show("kill returned", result);
    show("fs0 restored", equal(&after, &one_and_a_half, 8));
    show("fcsr restored", fcsr);
    show("mask restored", blocked_now() == BIT(SIGUSR2));

    struct stack stack = {alternate, 0, sizeof alternate};
    show("sigaltstack", SYS2(NR_sigaltstack, &stack, 0));
    install(SIGUSR2, on_usr2, SA_ONSTACK, 0);
    mask = 0;
    SYS4(NR_rt_sigprocmask, SIG_SETMASK, &mask, 0, 8); /* the pending SIGUSR2? none yet */
    show("kill usr2", SYS2(NR_kill, pid, SIGUSR2));

    install(SIGSEGV, on_fault, 0, 0);
    install(SIGILL, on_fault, 0, 0);
    __asm__ volatile(".globl fault_load\nfault_load: lw t0, 16(zero)" : : : "t0", "memory");
    __asm__ volatile(".globl bad_instruction\nbad_instruction: .insn 0x0000000b" : : : "memory");
    print("both faults skipped\n");
    exit_group(42);
}
