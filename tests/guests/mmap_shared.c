/* Memory mappings: MAP_SHARED file mappings whose writes reach the file (seen by read(),
   by a forked child, at munmap and at exit) and see the file's writes, shared anonymous
   memory across fork, private mappings that stay private, msync, mincore, mlock, madvise,
   mremap, and the errors. With "linux": what qemu 7.2 gets wrong (it maps over a mapping
   with MAP_FIXED_NOREPLACE, refuses every MAP_SHARED_VALIDATE mapping, has no mlock2 and
   accepts any madvise). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

#define PAGE 4096

static void show(const char *label, int fd, off_t offset, size_t size) {
    char buf[64] = {0};
    pread(fd, buf, size < sizeof buf ? size : sizeof buf - 1, offset);
    printf("%s: '%s'\n", label, buf);
}

static void shared_file(void) {
    int fd = open("shared.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    ftruncate(fd, 2 * PAGE);
    char *map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mapped: %d\n", map != MAP_FAILED);
    strcpy(map, "written through the mapping");
    show("read() sees it", fd, 0, 27);
    pwrite(fd, "PWRITE", 6, PAGE + 10);
    printf("the mapping sees pwrite: '%.6s'\n", map + PAGE + 10);
    printf("msync: %s\n", err(msync(map, 2 * PAGE, MS_SYNC)));
    printf("msync async+sync: %s\n", err(msync(map, PAGE, MS_ASYNC | MS_SYNC)));
    printf("msync unaligned: %s\n", err(msync(map + 1, PAGE, MS_SYNC)));

    pid_t child = fork();
    if (child == 0) {
        strcpy(map + 100, "from the child");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("the parent's mapping sees the child's write: '%s'\n", map + 100);
    strcpy(map + 200, "left at munmap");
    munmap(map, 2 * PAGE);
    show("after munmap", fd, 200, 14);

    /* A mapping at an offset, and a private one whose writes stay in the process. */
    char *second = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE);
    char *private = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE);
    strcpy(second + 20, "via offset");
    strcpy(private + 40, "private only");
    show("offset mapping", fd, PAGE + 20, 10);
    show("private untouched", fd, PAGE + 40, 12);
    munmap(private, PAGE);

    /* Growing a shared mapping keeps it shared. */
    ftruncate(fd, 4 * PAGE);
    char *grown = mremap(second, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
    strcpy(grown + 2 * PAGE, "grown part");
    show("mremap'd mapping", fd, 3 * PAGE, 10);
    printf("madvise DONTNEED on shared keeps data: %s '%.10s'\n",
           err(madvise(grown, PAGE, MADV_DONTNEED)), grown + 20);

    /* Left mapped and dirty: exit writes it to the file. */
    strcpy(grown + PAGE + 5, "written at exit");
    close(fd);
}

static void shared_anonymous(void) {
    int *counter = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *counter = 1;
    for (int i = 0; i < 3; i++) {
        pid_t child = fork();
        if (child == 0) {
            *counter += 10;
            _exit(0);
        }
        waitpid(child, NULL, 0);
    }
    printf("shared anonymous counter after 3 children: %d\n", *counter);
    int *private = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *private = 5;
    if (fork() == 0) {
        *private = 99;
        _exit(0);
    }
    wait(NULL);
    printf("private anonymous after a child wrote: %d\n", *private);
    munmap(counter, PAGE);
    munmap(private, PAGE);
}

static void errors_and_advice(void) {
    int ro = open("shared.dat", O_RDONLY);
    printf("shared writable of read-only fd: %s\n",
           err((long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0)));
    printf("private writable of read-only fd: %d\n",
           mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) != MAP_FAILED);
    int p[2];
    pipe(p);
    printf("map a pipe: %s\n", err((long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, p[0], 0)));
    printf("map bad fd: %s\n", err((long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0)));
    printf("no type: %s\n", err((long)mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0)));
    printf("unaligned offset: %s\n", err((long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, ro, 7)));
    close(ro);

    char *area = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    area[0] = 1;
    area[2 * PAGE] = 1;
    unsigned char vec[4];
    printf("mincore: %s", err(mincore(area, 4 * PAGE, vec)));
    printf(" %d%d%d%d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
    printf("mincore unaligned: %s\n", err(mincore(area + 1, PAGE, vec)));
    munmap(area + 3 * PAGE, PAGE);
    printf("mincore unmapped: %s\n", err(mincore(area, 4 * PAGE, vec)));
    printf("mlock: %s munlock: %s\n", err(mlock(area, PAGE)), err(munlock(area, PAGE)));
    printf("mlock unmapped: %s\n", err(mlock(area + 3 * PAGE, PAGE)));
    printf("mlockall no flags: %s\n", err(mlockall(0)));
    printf("madvise unaligned: %s\n", err(madvise(area + 1, PAGE, MADV_NORMAL)));
    area[PAGE] = 42;
    printf("madvise DONTNEED: %s then %d\n", err(madvise(area, 2 * PAGE, MADV_DONTNEED)),
           area[PAGE]);
    printf("madvise WILLNEED: %s\n", err(madvise(area, PAGE, MADV_WILLNEED)));
    char *moved = mremap(area, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, area + 8 * PAGE);
    printf("mremap fixed: %d\n", moved == area + 8 * PAGE);
    printf("mremap fixed without maymove: %s\n",
           err((long)mremap(moved, PAGE, PAGE, MREMAP_FIXED, area)));
    printf("mremap unmapped: %s\n", err((long)mremap(area, PAGE, 2 * PAGE, 0)));
}

static void linux_only(void) {
    char *area = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    area[0] = 'k';
    void *over = mmap(area + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                      MAP_FIXED_NOREPLACE, -1, 0);
    printf("MAP_FIXED_NOREPLACE over a mapping: %s, contents kept '%c'\n", err((long)over),
           area[0]);
    munmap(area + PAGE, PAGE);
    over = mmap(area + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                -1, 0);
    printf("MAP_FIXED_NOREPLACE on a hole: %d\n", over == area + PAGE);
    /* The kernel validates the flags of file mappings only: anonymous memory cannot be
       MAP_SHARED_VALIDATE at all, known flags or not. */
    int fd = open("validated", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, PAGE);
    struct { const char *what; int flags, fd; } validated[] = {
        {"anonymous", MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1},
        {"anonymous, unknown flag", MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x400000, -1},
        {"file", MAP_SHARED_VALIDATE, fd},
        {"file, known flags", MAP_SHARED_VALIDATE | MAP_POPULATE | MAP_NORESERVE, fd},
        {"file, unknown flag", MAP_SHARED_VALIDATE | 0x400000, fd},
        {"file, MAP_FIXED_NOREPLACE", MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, fd},
        {"file, MAP_SYNC", MAP_SHARED_VALIDATE | MAP_SYNC, fd},
        {"bad fd, unknown flag", MAP_SHARED_VALIDATE | 0x400000, 99},
        {"MAP_SHARED file, unknown flag ignored", MAP_SHARED | 0x400000, fd},
    };
    for (unsigned i = 0; i < sizeof validated / sizeof *validated; i++) {
        char *hint = NULL;
        if (validated[i].flags & MAP_FIXED_NOREPLACE) {  /* a hole */
            hint = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            munmap(hint, PAGE);
        }
        char *mapped = mmap(hint, PAGE, PROT_READ, validated[i].flags, validated[i].fd, 0);
        printf("MAP_SHARED_VALIDATE %s: %s\n", validated[i].what,
               mapped == MAP_FAILED ? err(-1) : "mapped");
        if (mapped != MAP_FAILED) munmap(mapped, PAGE);
    }
    close(fd);
    unlink("validated");
    const char *locked = err(mlock2(area, PAGE, MLOCK_ONFAULT));  /* first, then: */
    printf("mlock2: %s bad flags: %s\n", locked, err(mlock2(area, PAGE, 8)));
    printf("madvise bad advice: %s\n", err(madvise(area, PAGE, 77)));
    munmap(area + PAGE, PAGE);
    printf("madvise unmapped: %s\n", err(madvise(area, 2 * PAGE, MADV_NORMAL)));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "linux")) {
        linux_only();
        return 0;
    }
    shared_file();
    shared_anonymous();
    errors_and_advice();
    return 0;
}
