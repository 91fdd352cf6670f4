/* IPC and file calls the host keeps: POSIX message queues, System V message queues and
   semaphores (between processes too), statfs, statx, renameat2's flags, file handles.
   With "linux": native AIO, openat2, fchmodat2, cachestat, listmount, which qemu 7.2 does
   not have. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/openat2.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

static void posix_queues(void) {
    char name[64];
    snprintf(name, sizeof name, "/pyemu-test-%d", getpid());
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 32};
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    printf("mq_open: %d\n", q >= 0);
    printf("mq_open exclusive again: %s\n", err(mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600,
                                                         &attr)));
    mq_send(q, "low", 3, 1);
    mq_send(q, "high", 4, 9);
    struct mq_attr now;
    mq_getattr(q, &now);
    printf("attr: maxmsg %ld msgsize %ld curmsgs %ld\n", now.mq_maxmsg, now.mq_msgsize,
           now.mq_curmsgs);
    char buf[32] = {0};
    unsigned priority;
    ssize_t n = mq_receive(q, buf, sizeof buf, &priority);
    printf("first out: %zd '%.*s' priority %u\n", n, (int)n, buf, priority);
    n = mq_receive(q, buf, sizeof buf, &priority);
    printf("then: %zd '%.*s' priority %u\n", n, (int)n, buf, priority);
    printf("receive too small: %s\n", err(mq_receive(q, buf, 8, NULL)));
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_nsec += 20 * 1000 * 1000;
    if (soon.tv_nsec >= 1000000000) { soon.tv_sec++; soon.tv_nsec -= 1000000000; }
    printf("timed receive on empty: %s\n", err(mq_timedreceive(q, buf, sizeof buf, NULL, &soon)));
    pid_t child = fork();
    if (child == 0) {
        mqd_t theirs = mq_open(name, O_WRONLY);
        usleep(20000);
        mq_send(theirs, "from child", 10, 3);
        _exit(0);
    }
    n = mq_receive(q, buf, sizeof buf, &priority);
    printf("blocking receive from a child: %zd '%.*s'\n", n, (int)n, buf);
    waitpid(child, NULL, 0);
    struct mq_attr nonblock = {.mq_flags = O_NONBLOCK};
    mq_setattr(q, &nonblock, NULL);
    printf("nonblocking empty: %s\n", err(mq_receive(q, buf, sizeof buf, NULL)));
    mq_close(q);
    printf("unlink: %s again %s\n", err(mq_unlink(name)), err(mq_unlink(name)));
}

struct message {
    long kind;
    char text[32];
};

static void sysv(void) {
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct message out = {2, "second kind"}, in;
    msgsnd(q, &out, sizeof out.text, 0);
    out.kind = 1;
    strcpy(out.text, "first kind");
    msgsnd(q, &out, sizeof out.text, 0);
    printf("msgrcv kind 1: %s '%s'\n", err(msgrcv(q, &in, sizeof in.text, 1, 0)), in.text);
    struct msqid_ds info;
    msgctl(q, IPC_STAT, &info);
    printf("msgctl: qnum %lu mode %o\n", (unsigned long)info.msg_qnum, info.msg_perm.mode & 0777);
    printf("msgrcv any: %s '%s'\n", err(msgrcv(q, &in, sizeof in.text, 0, 0)), in.text);
    printf("msgrcv empty nowait: %s\n", err(msgrcv(q, &in, sizeof in.text, 0, IPC_NOWAIT)));
    pid_t child = fork();
    if (child == 0) {
        usleep(20000);
        struct message late = {5, "late"};
        msgsnd(q, &late, sizeof late.text, 0);
        _exit(0);
    }
    printf("msgrcv waits for a child: %s '%s' kind %ld\n", err(msgrcv(q, &in, sizeof in.text, 0, 0)),
           in.text, in.kind);
    waitpid(child, NULL, 0);
    printf("msgctl rmid: %s then %s\n", err(msgctl(q, IPC_RMID, NULL)),
           err(msgsnd(q, &out, sizeof out.text, 0)));

    int sem = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    union semun {
        int val;
        struct semid_ds *buf;
        unsigned short *array;
    } arg;
    unsigned short values[2] = {1, 0};
    arg.array = values;
    printf("SETALL: %s\n", err(semctl(sem, 0, SETALL, arg)));
    printf("GETVAL 0: %d\n", semctl(sem, 0, GETVAL));
    struct semid_ds ds;
    arg.buf = &ds;
    semctl(sem, 0, IPC_STAT, arg);
    printf("IPC_STAT nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
    struct sembuf take = {0, -1, 0}, nowait = {0, -1, IPC_NOWAIT};
    printf("semop take: %s\n", err(semop(sem, &take, 1)));
    printf("semop nowait on zero: %s\n", err(semop(sem, &nowait, 1)));
    struct timespec short_wait = {0, 20 * 1000 * 1000};
    printf("semtimedop times out: %s\n", err(semtimedop(sem, &take, 1, &short_wait)));
    child = fork();
    if (child == 0) {
        usleep(20000);
        struct sembuf give = {0, 1, 0};
        semop(sem, &give, 1);
        _exit(0);
    }
    printf("semop waits for a child: %s\n", err(semop(sem, &take, 1)));
    waitpid(child, NULL, 0);
    arg.val = 7;
    semctl(sem, 1, SETVAL, arg);
    arg.array = values;
    semctl(sem, 0, GETALL, arg);
    printf("GETALL: %u %u\n", values[0], values[1]);
    printf("rmid: %s\n", err(semctl(sem, 0, IPC_RMID)));
}

static void file_calls(void) {
    struct statfs fs;
    statfs(".", &fs);
    struct statfs fs2;
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    fstatfs(fd, &fs2);
    printf("statfs: type nonzero %d same as fstatfs %d namelen %ld\n", fs.f_type != 0,
           fs.f_type == fs2.f_type && fs.f_fsid.__val[0] == fs2.f_fsid.__val[0],
           (long)fs.f_namelen);
    close(fd);
    int file = open("statx-me", O_CREAT | O_WRONLY, 0640);
    write(file, "12345", 5);
    struct statx sx;
    printf("statx: %s", err(statx(AT_FDCWD, "statx-me", 0, STATX_ALL, &sx)));
    struct stat st;
    fstat(file, &st);
    printf(" size %llu mode %o ino ok %d mask has btime-or-not %d\n",
           (unsigned long long)sx.stx_size, sx.stx_mode & 0777, sx.stx_ino == st.st_ino,
           (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    printf("statx empty path: %s size %llu\n", err(statx(file, "", AT_EMPTY_PATH, STATX_SIZE, &sx)),
           (unsigned long long)sx.stx_size);
    printf("statx bad flags: %s\n", err(statx(AT_FDCWD, "statx-me", 0x40000000, STATX_ALL, &sx)));
    close(file);
    int a = open("left", O_CREAT | O_WRONLY, 0644), b = open("right", O_CREAT | O_WRONLY, 0644);
    write(a, "L", 1);
    write(b, "R", 1);
    close(a);
    close(b);
    printf("renameat2 exchange: %s\n",
           err(renameat2(AT_FDCWD, "left", AT_FDCWD, "right", RENAME_EXCHANGE)));
    char c = 0;
    a = open("left", O_RDONLY);
    read(a, &c, 1);
    close(a);
    printf("left now holds: %c\n", c);
    printf("noreplace onto existing: %s\n",
           err(renameat2(AT_FDCWD, "left", AT_FDCWD, "right", RENAME_NOREPLACE)));
    printf("exchange with noreplace: %s\n", err(renameat2(AT_FDCWD, "left", AT_FDCWD, "right",
                                                          RENAME_EXCHANGE | RENAME_NOREPLACE)));
    unlink("left");
    unlink("right");
    unlink("statx-me");
    struct file_handle *handle = malloc(sizeof *handle + MAX_HANDLE_SZ);
    handle->handle_bytes = 0;
    int mount_id;
    printf("name_to_handle_at too small: %s needs %d\n",
           err(name_to_handle_at(AT_FDCWD, ".", handle, &mount_id, 0)), handle->handle_bytes > 0);
    handle->handle_bytes = MAX_HANDLE_SZ;
    printf("name_to_handle_at: %s\n", err(name_to_handle_at(AT_FDCWD, ".", handle, &mount_id, 0)));
    free(handle);
}

static void linux_only(void) {
    aio_context_t ctx = 0;
    printf("io_setup: %s\n", err(syscall(SYS_io_setup, 8, &ctx)));
    int fd = open("aio-file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    char data[] = "asynchronously", back[16] = {0};
    struct iocb write_cb = {.aio_data = 11, .aio_lio_opcode = IOCB_CMD_PWRITE,
                            .aio_fildes = fd, .aio_buf = (uintptr_t)data, .aio_nbytes = 14};
    struct iocb read_cb = {.aio_data = 22, .aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = fd,
                           .aio_buf = (uintptr_t)back, .aio_nbytes = 14};
    struct iocb *batch[2] = {&write_cb, &read_cb};
    printf("io_submit: %s\n", err(syscall(SYS_io_submit, ctx, 2, batch)));
    struct io_event events[4];
    long got = syscall(SYS_io_getevents, ctx, 2, 4, events, NULL);
    printf("io_getevents: %ld data %llu res %lld data %llu res %lld '%s'\n", got,
           (unsigned long long)events[0].data, (long long)events[0].res,
           (unsigned long long)events[1].data, (long long)events[1].res, back);
    struct timespec none = {0, 1000000};
    printf("io_getevents nothing: %s\n", err(syscall(SYS_io_getevents, ctx, 1, 4, events, &none)));
    struct iocb bad = {.aio_lio_opcode = IOCB_CMD_PREAD, .aio_fildes = 999};
    struct iocb *one[1] = {&bad};
    printf("io_submit bad fd: %s\n", err(syscall(SYS_io_submit, ctx, 1, one)));
    const char *destroyed = err(syscall(SYS_io_destroy, ctx));  /* first, then: */
    printf("io_destroy: %s again %s\n", destroyed, err(syscall(SYS_io_destroy, ctx)));
    close(fd);
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
    printf("openat2 beneath: %d\n", syscall(SYS_openat2, AT_FDCWD, "aio-file", &how, sizeof how) >= 0);
    printf("openat2 escaping: %s\n", err(syscall(SYS_openat2, AT_FDCWD, "../x", &how, sizeof how)));
    how.flags = O_RDONLY | 0x80000000ull << 1;
    printf("openat2 bad flags: %s\n", err(syscall(SYS_openat2, AT_FDCWD, "aio-file", &how,
                                                  sizeof how)));
    printf("openat2 small: %s\n", err(syscall(SYS_openat2, AT_FDCWD, "aio-file", &how, 8)));
    printf("fchmodat2: %s", err(syscall(452, AT_FDCWD, "aio-file", 0600, 0)));
    struct stat st;
    stat("aio-file", &st);
    printf(" mode %o\n", st.st_mode & 0777);
    unlink("aio-file");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "linux")) {
        linux_only();
        return 0;
    }
    posix_queues();
    sysv();
    file_calls();
    return 0;
}
