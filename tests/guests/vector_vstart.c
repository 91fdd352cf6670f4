/* A vector load that faults part-way (vstart restart semantics): the handler sees vstart at the faulting element, makes
   the page readable and returns; the load resumes from vstart (the elements before it are not
   loaded again). A fault-only-first load over the same boundary trims vl instead. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *area;
static volatile long seen_vstart = -1;
static long page;

static void on_segv(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)context;
    long vstart;
    __asm__ volatile("csrr %0, vstart" : "=r"(vstart));
    seen_vstart = vstart;
    printf("fault at page offset %ld\n", (long)((char *)info->si_addr - area) - page);
    mprotect(area + page, page, PROT_READ | PROT_WRITE);
    memset(area + page - 12, 0, 12);  /* loaded already: a restart from 0 would see zeros */
}

int main(void) {
    page = sysconf(_SC_PAGESIZE);
    area = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 2 * page; i++) area[i] = (char)(i * 7 + 3);
    unsigned out[8] = {0};
    /* fault-only-first: the second page unreadable, 3 elements fit before it */
    mprotect(area + page, page, PROT_NONE);
    long vl;
    char *start = area + page - 12;
    __asm__ volatile("vsetivli zero, 8, e32, m2, ta, ma\n"
                     "vle32ff.v v2, (%1)\n"
                     "csrr %0, vl\n"
                     "vse32.v v2, (%2)\n" : "=r"(vl) : "r"(start), "r"(out) : "memory");
    printf("ff vl %ld:", vl);
    for (int i = 0; i < vl; i++) printf(" %08x", out[i]);
    printf("\n");
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &action, 0);
    memset(out, 0, sizeof out);
    __asm__ volatile("vsetivli zero, 8, e32, m2, ta, ma\n"
                     "vmv.v.i v2, 0\n"
                     "vle32.v v2, (%0)\n"
                     "vse32.v v2, (%1)\n" : : "r"(start), "r"(out) : "memory");
    printf("vstart in handler %ld, after:", seen_vstart);
    for (int i = 0; i < 8; i++) printf(" %08x", out[i]);
    printf("\n");
    return 0;
}
