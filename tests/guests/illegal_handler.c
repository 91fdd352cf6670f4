/* SIGILL and SIGTRAP handlers: si_code, si_addr (the pc) and skipping the instruction. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
static void on_ill(int sig, siginfo_t *info, void *ctx) {
    ucontext_t *uc = ctx;
    printf("sig %d code %d addr==pc %d\n", sig, info->si_code, (unsigned long)info->si_addr == uc->uc_mcontext.__gregs[0]);
    uc->uc_mcontext.__gregs[0] += 4;
}
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = on_ill; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL); sigaction(SIGTRAP, &sa, NULL);
    __asm__ volatile(".word 0xffffffff");
    __asm__ volatile(".option push\n.option norvc\nebreak\n.option pop");
    printf("done\n");
    return 0;
}
