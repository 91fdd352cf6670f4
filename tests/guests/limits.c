/* Asks for a lot: argv[1] picks what.
 *   mmap GIB       map GIB GiB of anonymous memory, touch its first and last page
 *   mremap GIB     map GIB GiB, touch a page, then grow it to twice that (moving it)
 *   shared MIB     map MIB MiB of shared anonymous memory (a memfd for pyemu), touch it
 *   dontunmap MIB  map MIB MiB, touch a page, move it with MREMAP_DONTUNMAP (the old pages
 *                  stay mapped: twice the memory)
 *   brk            grow the heap 1 MiB at a time until it fails (at most 4 GiB); print MiB
 *   malloc MIB     malloc MIB MiB and touch it
 *   writev         writev 1024 vectors of 1 GiB each (untouched memory) to /dev/null
 *   readv          readv 1 GiB vectors from /dev/zero
 *   read           read(/dev/zero) with a count of 2**40 into a 4 GiB mapping
 *   recurse        recurse until the stack runs out (SIGSEGV)
 * Prints "what: result" lines; results are errno names, byte counts or "ok". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define GIB (1UL << 30)

static void report(const char *what, long result) {
    if (result < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: %ld\n", what, result);
}

static char *map(unsigned long size) {
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static volatile int sink;

static int recurse(int depth) {
    volatile char frame[256];
    frame[0] = (char)depth;
    return recurse(depth + 1) + frame[0];
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *what = argv[1];
    unsigned long amount = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
    if (!strcmp(what, "mmap")) {
        char *p = map(amount * GIB);
        report("mmap", p ? 0 : -1);
        if (p) {
            p[0] = 1;
            p[amount * GIB - 1] = 2;
            printf("touched: %d\n", p[0] + p[amount * GIB - 1]);
        }
    } else if (!strcmp(what, "mremap")) {
        char *p = map(amount * GIB);
        char *q = map(1);  /* right below or above: something in the way of growing in place */
        report("mmap", p && q ? 0 : -1);
        if (!p) return 0;
        p[12345] = 42;
        char *r = mremap(p, amount * GIB, 2 * amount * GIB, MREMAP_MAYMOVE);
        report("mremap", r == MAP_FAILED ? -1 : 0);
        if (r != MAP_FAILED) printf("kept: %d\n", r[12345]);
    } else if (!strcmp(what, "shared")) {
        char *p = mmap(NULL, amount << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        report("shared", p == MAP_FAILED ? -1 : 0);
        if (p != MAP_FAILED) memset(p, 1, amount << 20);
    } else if (!strcmp(what, "dontunmap")) {
        char *p = map(amount << 20);
        report("mmap", p ? 0 : -1);
        if (!p) return 0;
        p[12345] = 42;
        char *r = mremap(p, amount << 20, amount << 20, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
        report("dontunmap", r == MAP_FAILED ? -1 : 0);
        if (r != MAP_FAILED) printf("kept: %d, left: %d\n", r[12345], p[12345]);
    } else if (!strcmp(what, "brk")) {
        unsigned long mib = 0;
        while (mib < 4096 && sbrk(1 << 20) != (void *)-1) mib++;
        printf("brk: %s after %lu MiB\n", mib < 4096 ? "refused" : "allowed", mib);
    } else if (!strcmp(what, "malloc")) {
        char *p = malloc(amount << 20);
        report("malloc", p ? 0 : -1);
        if (p) memset(p, 1, amount << 20);
    } else if (!strcmp(what, "writev") || !strcmp(what, "readv")) {
        int reading = what[0] == 'r';
        char *p = map(4 * GIB);
        struct iovec vectors[1024];
        for (int i = 0; i < 1024; i++) vectors[i] = (struct iovec){p + (i % 3) * GIB, GIB};
        int fd = open(reading ? "/dev/zero" : "/dev/null", reading ? O_RDONLY : O_WRONLY);
        long total = 0;
        ssize_t n;
        for (int i = 0; i < 4 && (n = (reading ? readv : writev)(fd, vectors, 1024)) > 0; i++)
            total += n;
        printf("%s: %s\n", what, total > 0 ? "some" : strerrorname_np(errno));
    } else if (!strcmp(what, "read")) {
        char *p = map(4 * GIB);
        int fd = open("/dev/zero", O_RDONLY);
        long n = read(fd, p, 1UL << 40);
        printf("read: %s\n", n > 0 ? "some" : strerrorname_np(errno));
    } else if (!strcmp(what, "recurse")) {
        printf("recursing\n");
        fflush(stdout);
        sink = recurse(0);
    }
    return 0;
}
