/* Extended attributes, inotify, signalfd, mknod of a FIFO, credentials and capabilities,
   personality, robust and priority-inheritance mutexes between threads. With "linux": the
   futex2 calls and membarrier, which qemu 7.2 does not have (or answers for its host). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/inotify.h>
#include <sys/personality.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "report.h"

#define FUTEX2_SIZE_U32 0x02  /* linux/futex.h of Linux 6.7, newer than the toolchain's */
#define FUTEX2_PRIVATE 128

static void xattrs(void) {
    int fd = open("attrs.txt", O_CREAT | O_RDWR, 0644);
    int set = setxattr("attrs.txt", "user.colour", "blue", 4, 0);
    if (set < 0 && errno == ENOTSUP) {  /* the file system has none: both runners say so */
        printf("xattrs: not supported here\n");
        close(fd);
        return;
    }
    printf("setxattr: %s\n", err(set));
    printf("create existing: %s\n", err(setxattr("attrs.txt", "user.colour", "x", 1, XATTR_CREATE)));
    printf("replace missing: %s\n", err(setxattr("attrs.txt", "user.size", "x", 1, XATTR_REPLACE)));
    fsetxattr(fd, "user.size", "large", 5, 0);
    char value[32] = {0};
    printf("getxattr size query: %s\n", err(getxattr("attrs.txt", "user.colour", NULL, 0)));
    printf("getxattr: %s '%s'\n", err(getxattr("attrs.txt", "user.colour", value, sizeof value)),
           value);
    printf("getxattr too small: %s\n", err(getxattr("attrs.txt", "user.size", value, 2)));
    printf("getxattr missing: %s\n", err(fgetxattr(fd, "user.none", value, sizeof value)));
    char names[128];
    ssize_t n = listxattr("attrs.txt", names, sizeof names);
    int colour = 0, size = 0;
    for (ssize_t i = 0; i < n; i += strlen(names + i) + 1) {
        colour |= !strcmp(names + i, "user.colour");
        size |= !strcmp(names + i, "user.size");
    }
    printf("listxattr: colour %d size %d\n", colour, size);
    printf("removexattr: %s then %s\n", err(removexattr("attrs.txt", "user.colour")),
           err(fremovexattr(fd, "user.colour")));
    symlink("attrs.txt", "attrs-link");
    printf("lgetxattr on the link: %s\n", err(lgetxattr("attrs-link", "user.size", value, 32)));
    printf("getxattr through the link: %s\n", err(getxattr("attrs-link", "user.size", value, 32)));
    printf("bad flags: %s\n", err(setxattr("attrs.txt", "user.x", "1", 1, 8)));
    unlink("attrs-link");
    close(fd);
}

static void inotify(void) {
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    mkdir("watched", 0755);
    int wd = inotify_add_watch(in, "watched", IN_CREATE | IN_DELETE);
    printf("inotify watch: %d\n", wd >= 1);
    char buf[4096];
    printf("nothing yet: %s\n", err(read(in, buf, sizeof buf)));
    close(open("watched/new-file", O_CREAT | O_WRONLY, 0644));
    unlink("watched/new-file");
    struct pollfd pfd = {in, POLLIN, 0};
    poll(&pfd, 1, 1000);
    ssize_t n = read(in, buf, sizeof buf);
    for (char *p = buf; p < buf + n;) {
        struct inotify_event *event = (struct inotify_event *)p;
        printf("event: %s %s\n", event->mask & IN_CREATE ? "create" : "delete", event->name);
        p += sizeof *event + event->len;
    }
    printf("rm_watch: %s again %s\n", err(inotify_rm_watch(in, wd)),
           err(inotify_rm_watch(in, wd)));
    printf("watch missing: %s\n", err(inotify_add_watch(in, "no-such-dir", IN_CREATE)));
    close(in);
    rmdir("watched");
}

static void signalfds(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    struct signalfd_siginfo info;
    printf("signalfd empty: %s\n", err(read(sfd, &info, sizeof info)));
    struct pollfd pfd = {sfd, POLLIN, 0};
    printf("poll before: %d\n", poll(&pfd, 1, 0));
    raise(SIGUSR1);
    printf("poll after raise: %d revents %#x\n", poll(&pfd, 1, 0), pfd.revents);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    printf("epoll sees it: %d\n", epoll_wait(ep, &out, 1, 0));
    printf("read: %s signo %u code %d pid ok %d\n", err(read(sfd, &info, sizeof info)),
           info.ssi_signo, info.ssi_code, info.ssi_pid == (uint32_t)getpid());
    printf("short read: %s\n", err(read(sfd, &info, 8)));
    sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 77});
    int flags = fcntl(sfd, F_GETFL);
    fcntl(sfd, F_SETFL, flags & ~O_NONBLOCK);
    printf("blocking read: %s signo %u value %d\n", err(read(sfd, &info, sizeof info)),
           info.ssi_signo, info.ssi_int);
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGUSR1);
    printf("change mask: %s\n", err(signalfd(sfd, &only1, 0)));
    printf("signalfd on a pipe: %s\n", err(signalfd(1, &only1, 0)));
    printf("bad flags: %s\n", err(signalfd(-1, &only1, 0x10)));
    close(ep);
    close(sfd);
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

static void nodes_and_identity(void) {
    printf("mkfifo: %s\n", err(mkfifo("a-fifo", 0600)));
    struct stat st;
    stat("a-fifo", &st);
    printf("is a fifo: %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);
    printf("mknod regular: %s\n", err(mknod("a-node", S_IFREG | 0640, 0)));
    printf("mknod exists: %s\n", err(mknod("a-node", S_IFREG | 0640, 0)));
    unlink("a-fifo");
    unlink("a-node");
    printf("setuid to self: %s\n", err(setuid(getuid())));
    printf("setresgid unchanged: %s\n", err(setresgid(-1, -1, -1)));
    printf("setfsuid returns the old: %d\n", setfsuid(getuid()) == (int)getuid());
    gid_t groups[64];
    int count = getgroups(64, groups);
    printf("setgroups same: %s\n", err(setgroups(count, groups)));
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    printf("capget: %s\n", err(syscall(SYS_capget, &header, data)));
    header.version = 0x12345;
    printf("capget bad version: %s now %#x\n", err(syscall(SYS_capget, &header, NULL)),
           header.version);
    printf("personality: %#x\n", personality(0xffffffff));
    printf("set personality: %#x then %#x\n", personality(PER_LINUX | ADDR_NO_RANDOMIZE),
           personality(0xffffffff));
    personality(PER_LINUX);
}

static pthread_mutex_t robust;
static void *die_holding(void *arg) {
    (void)arg;
    pthread_mutex_lock(&robust);
    return NULL;  /* ends without unlocking */
}

static pthread_mutex_t inherit;
static volatile int shared_counter;
static void *pi_worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&inherit);
        shared_counter++;
        pthread_mutex_unlock(&inherit);
    }
    return NULL;
}

static void mutexes(void) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &attr);
    pthread_t thread;
    pthread_create(&thread, NULL, die_holding, NULL);
    pthread_join(thread, NULL);
    int result = pthread_mutex_lock(&robust);
    printf("robust mutex of a dead owner: %s\n", result == EOWNERDEAD ? "EOWNERDEAD" : "?");
    printf("made consistent: %d\n", pthread_mutex_consistent(&robust));
    pthread_mutex_unlock(&robust);
    printf("locks again: %d\n", pthread_mutex_lock(&robust));
    pthread_mutex_unlock(&robust);

    pthread_mutexattr_t pi;
    pthread_mutexattr_init(&pi);
    pthread_mutexattr_setprotocol(&pi, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&inherit, &pi);
    pthread_t workers[3];
    for (int i = 0; i < 3; i++) pthread_create(&workers[i], NULL, pi_worker, NULL);
    for (int i = 0; i < 3; i++) pthread_join(workers[i], NULL);
    printf("priority-inheritance mutex: %d\n", shared_counter);
    pthread_mutex_lock(&inherit);
    printf("trylock held: %d\n", pthread_mutex_trylock(&inherit) == EBUSY ||
                                 pthread_mutex_trylock(&inherit) == EDEADLK);
    pthread_mutex_unlock(&inherit);
}

static void linux_only(void) {
    static uint32_t word = 5;
    printf("futex_wait wrong value: %s\n",
           err(syscall(455, &word, 4, FUTEX_BITSET_MATCH_ANY, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, NULL,
                       CLOCK_MONOTONIC)));
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 10 * 1000 * 1000;
    if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
    printf("futex_wait times out: %s\n",
           err(syscall(455, &word, 5, FUTEX_BITSET_MATCH_ANY, FUTEX2_SIZE_U32, &now,
                       CLOCK_MONOTONIC)));
    printf("futex_wake: %s\n", err(syscall(454, &word, FUTEX_BITSET_MATCH_ANY, 1,
                                           FUTEX2_SIZE_U32)));
    printf("futex_wake 64-bit: %s\n", err(syscall(454, &word, FUTEX_BITSET_MATCH_ANY, 1, 3)));
    printf("membarrier private unregistered: %s\n", err(syscall(SYS_membarrier, 8, 0, 0)));
    const char *registered = err(syscall(SYS_membarrier, 16, 0, 0));  /* first, then: */
    printf("membarrier register: %s then %s\n", registered, err(syscall(SYS_membarrier, 8, 0, 0)));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "linux")) {
        linux_only();
        return 0;
    }
    xattrs();
    inotify();
    signalfds();
    nodes_and_identity();
    mutexes();
    return 0;
}
