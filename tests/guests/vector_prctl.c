/* prctl(PR_RISCV_V_SET_CONTROL) as Linux documents it (Documentation/arch/riscv/vector.rst):
   with the next program's setting off, the program execve starts has V off, so its first
   vector instruction raises SIGILL; turning V on for the current thread makes it usable
   again. Reading a vector CSR is using V as much as a vector instruction. Prints what it
   sees. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PR_RISCV_V_SET_CONTROL 69
#define PR_RISCV_V_GET_CONTROL 70
#define CTRL_OFF 1
#define CTRL_ON 2

static sigjmp_buf back;

static void on_sigill(int sig) {
    (void)sig;
    siglongjmp(back, 1);
}

static void try_vector(const char *when) {
    long vl = -1;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("vsetivli %0, 5, e8, m1, ta, ma" : "=r"(vl));
        printf("%s: vl %ld\n", when, vl);
    } else {
        printf("%s: SIGILL\n", when);
    }
    /* A vector CSR is V's too (insn_is_vector in arch/riscv/kernel/vector.c). */
    long vlenb = -1;
    if (sigsetjmp(back, 1) == 0) {
        __asm__ volatile("csrr %0, vlenb" : "=r"(vlenb));
        printf("%s: vlenb %ld\n", when, vlenb);
    } else {
        printf("%s: vlenb SIGILL\n", when);
    }
}

int main(int argc, char **argv) {
    if (argc > 1) {
        signal(SIGILL, on_sigill);
        printf("control %d\n", prctl(PR_RISCV_V_GET_CONTROL, 0, 0, 0, 0));
        try_vector("V off");
        printf("turn on %d\n", prctl(PR_RISCV_V_SET_CONTROL, CTRL_ON, 0, 0, 0));
        try_vector("V on");
        return 0;
    }
    try_vector("before");
    printf("next off %d\n", prctl(PR_RISCV_V_SET_CONTROL, CTRL_OFF << 2, 0, 0, 0));
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "child", (char *)0);
    perror("execl");
    return 1;
}
