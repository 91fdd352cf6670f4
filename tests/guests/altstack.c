/* The alternate signal stack, SA_RESETHAND, SA_NODEFER nesting, and a handler that edits the
   interrupted context (skipping the faulting instruction through ucontext). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

static char alt[1 << 16];
static volatile int depth, deepest;

static void on_alt(int sig) {
    char local;
    printf("on the alternate stack: %d\n", &local >= alt && &local < alt + sizeof alt);
    stack_t now;
    sigaltstack(NULL, &now);
    printf("ss_flags has SS_ONSTACK: %d\n", (now.ss_flags & SS_ONSTACK) != 0);
}

static void nested(int sig) {
    depth++;
    if (depth > deepest) deepest = depth;
    if (depth < 3) raise(sig);
    depth--;
}

static void skip_faulting_instruction(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    uint16_t parcel = *(uint16_t *)uc->uc_mcontext.__gregs[0];
    uc->uc_mcontext.__gregs[0] += (parcel & 3) == 3 ? 4 : 2;  /* pc: past the load */
    uc->uc_mcontext.__gregs[10] = 42;                          /* a0 */
    printf("SIGILL/SIGSEGV %d handled, code %d\n", sig, info->si_code);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    if (sigaltstack(&ss, NULL)) perror("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alt;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);

    sa.sa_handler = nested;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("nested to depth %d\n", deepest);

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = skip_faulting_instruction;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    long value;
    __asm__ volatile("li a0, 7\n\tld a0, 0(zero)\n\tmv %0, a0" : "=r"(value) : : "a0");
    printf("after the skipped load a0 = %ld\n", value);

    sa.sa_handler = on_alt;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGHUP, &sa, NULL);
    raise(SIGHUP);
    printf("reset to default; the next SIGHUP ends the process\n");
    raise(SIGHUP);
    printf("not reached\n");
    return 0;
}
