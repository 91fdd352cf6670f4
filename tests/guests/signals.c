/* Signal handlers: raise, masks, SIGSEGV recovery with siglongjmp, ignored and default actions. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
static sigjmp_buf env;
static volatile int count;
static void on_usr1(int sig) { count++; printf("handler %d count %d\n", sig, count); }
static void on_segv(int sig, siginfo_t *info, void *uc) {
    printf("segv at %p code %d\n", info->si_addr, info->si_code);
    siglongjmp(env, 1);
}
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1); raise(SIGUSR1);
    sigset_t set; sigemptyset(&set); sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    printf("blocked, count %d\n", count);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("unblocked, count %d\n", count);
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(env, 1)) { *(volatile int *)16 = 1; printf("not reached\n"); }
    printf("recovered\n");
    if (!sigsetjmp(env, 1)) { *(volatile int *)0x1234568 = 1; }
    printf("recovered again\n");
    signal(SIGINT, SIG_IGN); raise(SIGINT); printf("ignored SIGINT\n");
    signal(SIGTERM, SIG_DFL); raise(SIGTERM);
    printf("not reached\n");
    return 0;
}
