/* RV32 file system calls: openat, write/read, llseek (a 64-bit offset in two registers, the
   result through a pointer), pread64/pwrite64 and ftruncate64 (64-bit arguments in register
   pairs), statx (riscv32 has no fstat/newfstatat), fstatfs64 (which passes its size),
   writev (32-bit iovecs), mkdirat and getdents64. Leaves data.bin and dir/ behind for the test to compare. */
#include "rv32.h"

#define O_RDONLY 0
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_DIRECTORY 0200000
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define STATX_BASIC_STATS 0x7ff

static s64 seek(int fd, s64 offset, int whence) {
    s64 position = -1;
    long r = SYS5(NR_llseek, fd, (u32)((u64)offset >> 32), (u32)offset, &position, whence);
    return r ? r : position;
}

static void create(const char *path) {
    int fd = SYS4(NR_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    SYS3(NR_write, fd, path, length(path));
    SYS1(NR_close, fd);
}

struct linux_dirent64 {
    u64 d_ino;
    s64 d_off;
    u16 d_reclen;
    u8 d_type;
    char d_name[];
};

static int before(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return (u8)*a < (u8)*b;
}

void _start(void) {
    char buffer[64];
    int fd = SYS4(NR_openat, AT_FDCWD, "data.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
    show("openat ok", fd >= 3);
    show("write", SYS3(NR_write, fd, "abcdefghijklmnopqrstuvwxyz", 26));
    show("llseek set 10", (s32)seek(fd, 10, SEEK_SET));
    show("read", SYS3(NR_read, fd, buffer, 5));
    show("read klmno", equal(buffer, "klmno", 5));
    show("llseek end -3", (s32)seek(fd, -3, SEEK_END));
    show_hex64("llseek set 5 GiB", (u64)seek(fd, 5LL << 30, SEEK_SET));
    show_hex64("llseek cur +1", (u64)seek(fd, 1, SEEK_CUR));
    show("llseek bad whence", (s32)seek(fd, 0, 7));
    show("llseek before 0", (s32)seek(fd, -100, SEEK_SET));
    show("pwrite64", SYS5(NR_pwrite64, fd, "XY", 2, 1, 0));
    show("pread64", SYS5(NR_pread64, fd, buffer, 4, 0, 0));
    show("pread64 aXYd", equal(buffer, "aXYd", 4));
    show("pread64 at 4 GiB", SYS5(NR_pread64, fd, buffer, 4, 0, 1));
    show("ftruncate64", SYS3(NR_ftruncate64, fd, 20, 0));

    u8 stx[256];
    show("statx", SYS5(NR_statx, AT_FDCWD, "data.bin", 0, STATX_BASIC_STATS, stx));
    show("statx basic", (*(u32 *)stx & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    show("statx mode", *(u16 *)(stx + 28) & 07777);
    show("statx size", (s32)*(u64 *)(stx + 40));
    show("statx missing", SYS5(NR_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, stx));
    u8 fs[96];
    show("fstatfs64", SYS3(NR_fstatfs64, fd, 88, fs));
    show("fstatfs64 bsize", *(u32 *)(fs + 4) != 0);
    show("fstatfs64 size 84", SYS3(NR_fstatfs64, fd, 84, fs));
    show("old fstat is not riscv32's", SYS2(80, fd, fs));
    SYS1(NR_close, fd);

    struct { const char *base; u32 length; } iov[2] = {{"wri", 3}, {"tev (iovec of 32-bit words)\n", 29}};
    show("writev", SYS3(NR_writev, 1, iov, 2));

    show("mkdirat", SYS3(NR_mkdirat, AT_FDCWD, "dir", 0755));
    create("dir/one");
    create("dir/two");
    create("dir/three");
    show("unlinkat", SYS3(NR_unlinkat, AT_FDCWD, "dir/two", 0));
    int dir = SYS4(NR_openat, AT_FDCWD, "dir", O_RDONLY | O_DIRECTORY, 0);
    static char listing[512] __attribute__((aligned(8)));
    struct linux_dirent64 *entries[8];
    int count = 0;
    for (;;) {
        long got = SYS3(NR_getdents64, dir, listing, sizeof listing);
        if (got <= 0) {
            show("getdents64 end", got);
            break;
        }
        for (long at = 0; at < got;) {
            struct linux_dirent64 *entry = (struct linux_dirent64 *)(listing + at);
            if (count < 8) entries[count++] = entry;
            at += entry->d_reclen;
        }
    }
    for (int i = 1; i < count; i++)  /* the host decides the order: sort by name */
        for (int j = i; j > 0 && before(entries[j]->d_name, entries[j - 1]->d_name); j--) {
            struct linux_dirent64 *swap = entries[j];
            entries[j] = entries[j - 1];
            entries[j - 1] = swap;
        }
    for (int i = 0; i < count; i++) show(entries[i]->d_name, entries[i]->d_type);
    exit_group(3);
}
