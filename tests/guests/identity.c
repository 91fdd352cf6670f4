/* Process identity and accounting calls: ids, groups, sessions, prctl names, rusage, times. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <unistd.h>

int main(void) {
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    printf("resuid consistent: %d\n", r == getuid() && e == geteuid());
    gid_t gr, ge, gs;
    getresgid(&gr, &ge, &gs);
    printf("resgid consistent: %d\n", gr == getgid() && ge == getegid());
    int groups = getgroups(0, NULL);
    gid_t list[256];
    printf("groups counted twice alike: %d\n", groups == getgroups(256, list));
    printf("pgid of self is pgid(0): %d\n", getpgid(0) == getpgid(getpid()));
    printf("sid of self is sid(0): %d\n", getsid(0) == getsid(getpid()));
    char name[17] = {0};
    prctl(PR_SET_NAME, "renamed-thread-with-a-long-name");
    prctl(PR_GET_NAME, name);
    printf("name: %s\n", name);
    printf("dumpable: %d\n", prctl(PR_GET_DUMPABLE));
    struct rusage usage;
    printf("getrusage: %d\n", getrusage(RUSAGE_SELF, &usage));
    struct tms t;
    printf("times ok: %d\n", times(&t) != (clock_t)-1);
    return 0;
}
