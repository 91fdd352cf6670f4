/* Files beyond read and write: vectored I/O at offsets, data moved between descriptors
   (sendfile, copy_file_range, splice, tee, vmsplice), memfd with seals, flock and fcntl
   locks (also across fork), fallocate, syncing and advice, close_range, faccessat with
   flags, and dup/dup3/F_DUPFD edge cases. With "append": pwritev2's RWF_APPEND. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

static void show_file(const char *label, int fd) {
    char buf[128] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    printf("%s: %zd '%s'\n", label, n, buf);
}

static void vectored(int append) {
    int fd = open("vectors.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    char a[] = "alpha ", b[] = "beta ", c[] = "gamma";
    struct iovec out[3] = {{a, 6}, {b, 5}, {c, 5}};
    printf("pwritev: %s\n", err(pwritev(fd, out, 3, 4)));
    printf("position untouched: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    char x[5] = {0}, y[8] = {0};
    struct iovec in[2] = {{x, 4}, {y, 7}};
    printf("preadv: %s '%s' '%s'\n", err(preadv(fd, in, 2, 10)), x, y);
    printf("preadv negative offset: %s\n", err(preadv(fd, in, 2, -3)));
    printf("preadv2 at position: %s\n", err(preadv2(fd, in, 2, -1, 0)));
    printf("pwritev2 bad flags: %s\n", err(pwritev2(fd, out, 1, 0, 0x4000)));
    volatile int too_many = 5000;
    printf("preadv too many: %s\n", err(preadv(fd, in, too_many, 0)));
    if (append) {  /* RWF_APPEND (Linux 4.16), which qemu 7.2 refuses */
        printf("pwritev2 append: %s\n", err(pwritev2(fd, out, 1, 0, RWF_APPEND)));
        printf("appended at the end: %ld\n", (long)lseek(fd, 0, SEEK_END));
    }
    show_file("file", fd);
    int p[2];
    pipe(p);
    printf("preadv on a pipe: %s\n", err(preadv(p[0], in, 2, 0)));
    close(p[0]);
    close(p[1]);
    close(fd);
}

static void between(void) {
    int src = open("source.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(src, "0123456789abcdefghij", 20);
    int dst = open("copy.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    off_t offset = 5;
    /* Each call is made before the printf that shows what it changed: the order in which a
       call's arguments are evaluated is the compiler's, and differs between RISC-V and x86. */
    const char *sent = err(sendfile(dst, src, &offset, 6));
    printf("sendfile at offset: %s offset now %ld\n", sent, (long)offset);
    lseek(src, 15, SEEK_SET);
    sent = err(sendfile(dst, src, NULL, 100));
    printf("sendfile at position: %s position now %ld\n", sent, (long)lseek(src, 0, SEEK_CUR));
    show_file("after sendfile", dst);
    loff_t in_off = 0, out_off = 2;
    const char *copied = err(copy_file_range(src, &in_off, dst, &out_off, 4, 0));
    printf("copy_file_range: %s offsets %ld %ld\n", copied, (long)in_off, (long)out_off);
    printf("copy_file_range flags: %s\n", err(copy_file_range(src, &in_off, dst, &out_off, 4, 1)));
    show_file("after copy_file_range", dst);

    int p[2], q[2];
    pipe(p);
    pipe(q);
    loff_t from = 10;
    printf("splice file to pipe: %s\n", err(splice(src, &from, p[1], NULL, 6, 0)));
    printf("tee: %s\n", err(tee(p[0], q[1], 100, 0)));
    char buf[16] = {0};
    read(q[0], buf, sizeof buf - 1);
    printf("teed copy: '%s'\n", buf);
    loff_t to = 0;
    printf("splice pipe to file: %s\n", err(splice(p[0], NULL, dst, &to, 100, 0)));
    show_file("after splice", dst);
    printf("splice nothing (nonblock): %s\n",
           err(splice(p[0], NULL, dst, NULL, 10, SPLICE_F_NONBLOCK)));
    char v1[] = "vm", v2[] = "splice";
    struct iovec iov[2] = {{v1, 2}, {v2, 6}};
    printf("vmsplice: %s\n", err(vmsplice(p[1], iov, 2, 0)));
    memset(buf, 0, sizeof buf);
    read(p[0], buf, sizeof buf - 1);
    printf("vmspliced: '%s'\n", buf);
    printf("splice two files: %s\n", err(splice(src, NULL, dst, NULL, 4, 0)));
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(src);
    close(dst);
}

static void memfds(void) {
    int fd = memfd_create("scratch", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    printf("memfd cloexec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    write(fd, "in memory", 9);
    struct stat st;
    fstat(fd, &st);
    printf("memfd size %ld regular %d\n", (long)st.st_size, S_ISREG(st.st_mode));
    printf("add seals: %s\n", err(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK)));
    printf("seals: %#x\n", fcntl(fd, F_GET_SEALS));
    printf("write sealed: %s\n", err(write(fd, "x", 1)));
    printf("shrink sealed: %s\n", err(ftruncate(fd, 1)));
    show_file("memfd", fd);
    close(fd);
    char long_name[300];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    printf("memfd long name: %s\n", err(memfd_create(long_name, 0)));
    printf("memfd bad flags: %s\n", err(memfd_create("x", 0x100)));
    int plain = memfd_create("plain", 0);
    printf("no sealing: %s\n", err(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE)));
    close(plain);
}

static void locks(void) {
    int a = open("locked", O_CREAT | O_RDWR, 0644);
    int b = open("locked", O_RDWR);
    printf("flock ex: %s\n", err(flock(a, LOCK_EX)));
    printf("flock other description: %s\n", err(flock(b, LOCK_EX | LOCK_NB)));
    printf("flock shared same description: %s\n", err(flock(a, LOCK_SH)));
    printf("flock shared other: %s\n", err(flock(b, LOCK_SH | LOCK_NB)));
    printf("flock bad op: %s\n", err(flock(a, 0)));
    flock(a, LOCK_UN);
    flock(b, LOCK_UN);

    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    printf("posix lock: %s\n", err(fcntl(a, F_SETLK, &lock)));
    struct flock probe = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    fcntl(b, F_GETLK, &probe);
    printf("own process sees no conflict: %d\n", probe.l_type == F_UNLCK);
    pid_t parent = getpid();
    int report[2];
    pipe(report);
    pid_t child = fork();
    if (child == 0) {
        struct flock seen = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
        fcntl(b, F_GETLK, &seen);
        printf("child sees the parent's lock: type %d start %ld len %ld pid ok %d\n", seen.l_type,
               (long)seen.l_start, (long)seen.l_len, seen.l_pid == parent);
        struct flock mine = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        printf("child F_SETLK: %s\n", err(fcntl(b, F_SETLK, &mine)));
        write(report[1], "w", 1);
        printf("child F_SETLKW: %s (after the parent unlocked)\n", err(fcntl(b, F_SETLKW, &mine)));
        _exit(0);
    }
    char c;
    read(report[0], &c, 1);
    usleep(30000);
    lock.l_type = F_UNLCK;
    fcntl(a, F_SETLK, &lock);
    int status;
    waitpid(child, &status, 0);
    lock.l_type = 7;
    printf("bad lock type: %s\n", err(fcntl(a, F_SETLK, &lock)));

    struct flock ofd = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4};
    printf("OFD lock: %s\n", err(fcntl(a, F_OFD_SETLK, &ofd)));
    printf("OFD conflict, other description: %s\n", err(fcntl(b, F_OFD_SETLK, &ofd)));
    struct flock ofd_probe = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    fcntl(b, F_OFD_GETLK, &ofd_probe);
    printf("OFD probe: type %d pid %d\n", ofd_probe.l_type, ofd_probe.l_pid);
    close(a);
    close(b);
    close(report[0]);
    close(report[1]);
    unlink("locked");
}

static void space_and_sync(void) {
    int fd = open("space", O_CREAT | O_RDWR | O_TRUNC, 0644);
    struct stat st;
    printf("fallocate: %s", err(fallocate(fd, 0, 0, 8192)));
    fstat(fd, &st);
    printf(" size %ld\n", (long)st.st_size);
    printf("fallocate keep size: %s", err(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192)));
    fstat(fd, &st);
    printf(" size %ld\n", (long)st.st_size);
    printf("punch hole without keep size: %s\n", err(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096)));
    printf("fallocate negative: %s\n", err(fallocate(fd, 0, -1, 10)));
    printf("fsync %s fdatasync %s syncfs %s\n", err(fsync(fd)), err(fdatasync(fd)), err(syncfs(fd)));
    sync();
    printf("sync_file_range: %s\n", err(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)));
    printf("sync_file_range bad flags: %s\n", err(sync_file_range(fd, 0, 0, 0x100)));
    printf("fadvise: %d bad advice: %d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL),
           posix_fadvise(fd, 0, 0, 99));
    printf("readahead: %s\n", err(readahead(fd, 0, 4096)));
    int p[2];
    pipe(p);
    printf("fsync on a pipe: %s\n", err(fsync(p[0])));
    printf("fallocate on a pipe: %s\n", err(fallocate(p[0], 0, 0, 10)));
    close(p[0]);
    close(p[1]);
    close(fd);
    unlink("space");
}

static void descriptors(void) {
    int fd = open("vectors.txt", O_RDONLY);
    printf("dup3 same: %s\n", err(dup3(fd, fd, 0)));
    printf("dup2 same: %d\n", dup2(fd, fd) == fd);
    printf("dup3 bad flags: %s\n", err(dup3(fd, 50, 1)));
    printf("dup3 cloexec: %s", err(dup3(fd, 50, O_CLOEXEC)));
    printf(" flag %d\n", fcntl(50, F_GETFD));
    printf("F_DUPFD from 40: %s\n", err(fcntl(fd, F_DUPFD, 40)));
    printf("F_DUPFD_CLOEXEC: %s", err(fcntl(fd, F_DUPFD_CLOEXEC, 40)));
    printf(" flag %d\n", fcntl(41, F_GETFD));
    printf("F_DUPFD negative: %s\n", err(fcntl(fd, F_DUPFD, -1)));
    printf("dup bad: %s\n", err(dup(-1)));
    printf("dup2 to negative: %s\n", err(dup2(fd, -2)));
    printf("close_range cloexec: %s", err(close_range(40, 41, CLOSE_RANGE_CLOEXEC)));
    printf(" flags %d %d\n", fcntl(40, F_GETFD), fcntl(41, F_GETFD));
    printf("close_range: %s\n", err(close_range(40, 60, 0)));
    printf("closed: %s %s %s\n", err(fcntl(40, F_GETFD)), err(fcntl(41, F_GETFD)),
           err(fcntl(50, F_GETFD)));
    printf("close_range backwards: %s\n", err(close_range(9, 3, 0)));
    printf("faccessat AT_EACCESS: %s\n", err(faccessat(AT_FDCWD, "vectors.txt", R_OK, AT_EACCESS)));
    printf("faccessat missing: %s\n", err(faccessat(AT_FDCWD, "nothing", F_OK, AT_EACCESS)));
    printf("faccessat bad flags: %s\n", err(faccessat(AT_FDCWD, "vectors.txt", F_OK, 0x8000)));
    symlink("nothing", "dangling");
    printf("faccessat nofollow: %s\n",
           err(faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW)));
    unlink("dangling");
    close(fd);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    vectored(argc > 1 && !strcmp(argv[1], "append"));
    between();
    memfds();
    locks();
    space_and_sync();
    descriptors();
    return 0;
}
