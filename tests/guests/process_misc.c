/* Processes and scheduling: sched_* calls, getcpu, priorities, resource limits, waitid
   (by pid, any child, pidfd; WNOHANG, WNOWAIT), kill and pidfd_send_signal to a child,
   /proc/self/fd and /proc/self/exe. With "clone3": clone3 for a process and for a thread
   (qemu 7.2 has no clone3); with "count": how many descriptors /proc/self/fd lists. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

static void scheduling(void) {
    printf("policy: %d\n", sched_getscheduler(0));
    struct sched_param param = {0};
    printf("getparam: %s priority %d\n", err(sched_getparam(0, &param)), param.sched_priority);
    printf("priority range FIFO: %d..%d OTHER: %d..%d\n", sched_get_priority_min(SCHED_FIFO),
           sched_get_priority_max(SCHED_FIFO), sched_get_priority_min(SCHED_OTHER),
           sched_get_priority_max(SCHED_OTHER));
    printf("priority max bad policy: %s\n", err(sched_get_priority_max(42)));
    param.sched_priority = 5;
    printf("setscheduler OTHER with priority: %s\n",
           err(sched_setscheduler(0, SCHED_OTHER, &param)));
    param.sched_priority = 0;
    const char *batch = err(sched_setscheduler(0, SCHED_BATCH, &param));  /* first, then: */
    printf("setscheduler BATCH: %s now %d\n", batch, sched_getscheduler(0));
    sched_setscheduler(0, SCHED_OTHER, &param);
    printf("setscheduler bad policy: %s\n", err(sched_setscheduler(0, 42, &param)));
    printf("getscheduler no such pid: %s\n", err(sched_getscheduler(999999)));
    printf("getparam negative pid: %s\n", err(sched_getparam(-1, &param)));
    cpu_set_t set;
    CPU_ZERO(&set);
    const char *got = err(sched_getaffinity(0, sizeof set, &set));  /* first, then: */
    printf("getaffinity: %s cpu0 %d\n", got, CPU_ISSET(0, &set));
    printf("setaffinity to cpu0: %s\n", err(sched_setaffinity(0, sizeof set, &set)));
    CPU_ZERO(&set);
    printf("setaffinity to nothing: %s\n", err(sched_setaffinity(0, sizeof set, &set)));
    printf("getaffinity odd size: %s\n", err(syscall(SYS_sched_getaffinity, 0, 3, &set)));
    unsigned cpu = 99, node = 99;
    got = err(getcpu(&cpu, &node));
    printf("getcpu: %s node %u\n", got, node);
    printf("sched_yield: %d\n", sched_yield());
    errno = 0;
    int nice_before = getpriority(PRIO_PROCESS, 0);
    printf("setpriority +1: %s\n", err(setpriority(PRIO_PROCESS, 0, nice_before + 1)));
    printf("getpriority follows: %d\n", getpriority(PRIO_PROCESS, 0) == nice_before + 1);
    printf("getpriority bad which: %s\n", err(getpriority(9, 0)));
}

static void limits(void) {
    struct rlimit limit;
    getrlimit(RLIMIT_CORE, &limit);
    struct rlimit lowered = {0, limit.rlim_max};
    printf("setrlimit core 0: %s\n", err(setrlimit(RLIMIT_CORE, &lowered)));
    getrlimit(RLIMIT_CORE, &limit);
    printf("core now: %lu\n", (unsigned long)limit.rlim_cur);
    struct rlimit backwards = {10, 5};
    printf("soft above hard: %s\n", err(setrlimit(RLIMIT_CORE, &backwards)));
    printf("bad resource: %s\n", err(getrlimit(99, &limit)));
    struct rlimit old;
    printf("prlimit: %s\n", err(prlimit(0, RLIMIT_NOFILE, NULL, &old)));
    printf("prlimit no such pid: %s\n", err(prlimit(999999, RLIMIT_NOFILE, NULL, &old)));
}

static volatile sig_atomic_t chld_code, chld_status, chld_pid;

static void on_child(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    chld_pid = info->si_pid;
    chld_status = info->si_status;
    chld_code = info->si_code;
}

static void child_signal(void) {
    struct sigaction sa = {.sa_sigaction = on_child, .sa_flags = SA_SIGINFO};
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid_t child = fork();
    if (child == 0) _exit(3);
    while (!chld_code) sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGCHLD: code %d status %d pid ok %d\n", chld_code, chld_status, chld_pid == child);
    int status;
    printf("waitpid after it: %d\n", waitpid(child, &status, 0) == child && WEXITSTATUS(status) == 3);
    signal(SIGCHLD, SIG_DFL);
}

static void waiting(void) {
    child_signal();
    pid_t child = fork();
    if (child == 0) {
        usleep(20000);
        _exit(7);
    }
    siginfo_t info;
    memset(&info, 0xff, sizeof info);
    const char *waited = err(waitid(P_PID, child, &info, WEXITED | WNOHANG));  /* first */
    printf("waitid WNOHANG early: %s pid %d signo %d\n", waited, info.si_pid, info.si_signo);
    printf("waitid WNOWAIT: %s", err(waitid(P_PID, child, &info, WEXITED | WNOWAIT)));
    printf(" code %d status %d pid ok %d\n", info.si_code, info.si_status, info.si_pid == child);
    printf("waitid P_ALL: %s", err(waitid(P_ALL, 0, &info, WEXITED)));
    printf(" signo %d code %d status %d\n", info.si_signo, info.si_code, info.si_status);
    printf("waitid no options: %s\n", err(waitid(P_ALL, 0, &info, 0)));
    printf("waitid no children: %s\n", err(waitid(P_ALL, 0, &info, WEXITED)));

    child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    int pidfd = syscall(SYS_pidfd_open, child, 0);
    printf("pidfd_open: %d\n", pidfd >= 0);
    printf("kill the child: %s\n", err(kill(child, SIGTERM)));
    printf("waitid P_PIDFD: %s", err(waitid(P_PIDFD, pidfd, &info, WEXITED)));
    printf(" code %d signal %d\n", info.si_code, info.si_status);
    close(pidfd);

    child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    pidfd = syscall(SYS_pidfd_open, child, 0);
    printf("pidfd_send_signal: %s\n", err(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0)));
    int status;
    waitpid(child, &status, 0);
    printf("killed by %d\n", WTERMSIG(status));
    close(pidfd);
    printf("kill no such process: %s\n", err(kill(999999, 0)));
}

static volatile int clone3_thread_ran;

static void thread_body(void) { clone3_thread_ran = 1; }

/* A thread from clone3 on its own stack: the child calls fn, then exits the thread. (The
   x86-64 variant lets the host kernel run the same program as the oracle.) */
#if defined(__x86_64__)
static long clone3_thread(struct clone_args *args, void (*fn)(void)) {
    long result;
    register long r12 __asm__("r12") = (long)fn;
    __asm__ volatile("syscall\n"
                     "test %%rax, %%rax\n"
                     "jnz 1f\n"
                     "call *%%r12\n"
                     "xor %%edi, %%edi\n"
                     "mov $60, %%eax\n"
                     "syscall\n"
                     "1:\n"
                     : "=a"(result)
                     : "0"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(r12)
                     : "memory", "rcx", "r11");
    return result;
}
#else
static long clone3_thread(struct clone_args *args, void (*fn)(void)) {
    register long a0 __asm__("a0") = (long)args;
    register long a1 __asm__("a1") = sizeof *args;
    register long a7 __asm__("a7") = SYS_clone3;
    register long s1 __asm__("s1") = (long)fn;
    __asm__ volatile("ecall\n"
                     "bnez a0, 1f\n"
                     "jalr s1\n"
                     "li a0, 0\n"
                     "li a7, 93\n"
                     "ecall\n"
                     "1:\n"
                     : "+r"(a0)
                     : "r"(a1), "r"(a7), "r"(s1)
                     : "memory", "ra");
    return a0;
}
#endif

static void clone3s(void) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    long child = syscall(SYS_clone3, &args, sizeof args);
    if (child == 0) _exit(12);
    if (child < 0) {
        printf("clone3: %s\n", err(child));
        return;
    }
    int status;
    waitpid(child, &status, 0);
    printf("clone3 process exited %d\n", WEXITSTATUS(status));
    printf("clone3 small size: %s\n", err(syscall(SYS_clone3, &args, 8)));
    args.flags = CLONE_THREAD;
    printf("clone3 thread without VM: %s\n", err(syscall(SYS_clone3, &args, sizeof args)));

    static char stack[65536] __attribute__((aligned(16)));
    static volatile int tid_word = 1;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                 CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;
    args.child_tid = (uintptr_t)&tid_word;
    args.stack = (uintptr_t)stack;
    args.stack_size = sizeof stack;
    long tid = clone3_thread(&args, thread_body);
    while (tid_word != 0) syscall(SYS_futex, &tid_word, 0 /* FUTEX_WAIT */, tid_word, NULL);
    printf("clone3 thread: created %d ran %d cleared its tid\n", tid > 0, clone3_thread_ran);
}

static void proc_fd(int argc, char **argv) {
    int file = open("fd-target.txt", O_CREAT | O_RDWR, 0644);
    int p[2];
    pipe(p);
    DIR *dir = opendir("/proc/self/fd");
    int listed = 0, saw_file = 0, saw_pipe = 0, saw_dir = 0, dots = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.') {
            dots++;
            continue;
        }
        int fd = atoi(entry->d_name);
        listed++;
        saw_file |= fd == file;
        saw_pipe |= fd == p[0];
        saw_dir |= fd == dirfd(dir);
    }
    printf("/proc/self/fd lists the file %d the pipe %d itself %d, dots %d\n", saw_file,
           saw_pipe, saw_dir, dots);
    if (argc > 1 && !strcmp(argv[1], "count")) /* qemu 7.2 lists its own descriptors too */
        printf("/proc/self/fd lists %d\n", listed);
    rewinddir(dir);
    int again = 0;
    while (readdir(dir)) again++;
    printf("rewinddir lists again: %d\n", again == listed + dots);
    closedir(dir);
    char link[256], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", file);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink fd of a file ends with the name: %d\n",
           n > 0 && strstr(link, "/fd-target.txt") != NULL);
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    struct stat st;
    fstat(p[0], &st);
    char expected[64];
    snprintf(expected, sizeof expected, "pipe:[%lu]", (unsigned long)st.st_ino);
    printf("readlink fd of a pipe: %d\n", strcmp(link, expected) == 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", file);
    write(file, "through the link", 16);
    int reopened = open(path, O_RDONLY);
    char buf[32] = {0};
    read(reopened, buf, sizeof buf - 1);
    printf("reopened through /proc/self/fd: '%s' (own offset)\n", buf);
    struct stat by_path, by_fd;
    stat(path, &by_path);
    fstat(file, &by_fd);
    printf("stat through the link: %d\n", by_path.st_ino == by_fd.st_ino);
    printf("readlink closed fd: %s\n", err(readlink("/proc/self/fd/900", link, sizeof link)));
    n = readlink("/proc/self/exe", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    printf("/proc/self/exe is absolute and the program: %d %d\n", link[0] == '/',
           strcmp(strrchr(link, '/') + 1, base) == 0);
    int exe = open("/proc/self/exe", O_RDONLY);
    char magic[4] = {0};
    read(exe, magic, 4);
    printf("/proc/self/exe opens the ELF: %d\n", memcmp(magic, "\177ELF", 4) == 0);
    close(exe);
    close(reopened);
    close(file);
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    scheduling();
    limits();
    if (argc > 1 && !strcmp(argv[1], "clone3")) {
        clone3s();
        return 0;
    }
    waiting();
    proc_fd(argc, argv);
    return 0;
}
