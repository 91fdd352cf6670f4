/* RV32 calls whose 64-bit arguments arrive in register pairs, the low half first and with
   no padding before a pair: fallocate, sync_file_range, readahead and fadvise64_64. Offsets
   past 4 GiB and negative lengths show whether both halves were joined. */
#include "rv32.h"

#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define STATX_SIZE 0x200
#define FALLOC_FL_KEEP_SIZE 1
#define POSIX_FADV_WILLNEED 3
#define LO(v) ((u32)(u64)(v))
#define HI(v) ((u32)((u64)(v) >> 32))

static u64 size_of(const char *path) {
    u8 stx[256];
    SYS5(NR_statx, AT_FDCWD, path, 0, STATX_SIZE, stx);
    return *(u64 *)(stx + 40);
}

void _start(void) {
    int fd = SYS4(NR_openat, AT_FDCWD, "sparse.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
    show("openat ok", fd >= 3);
    s64 far = 5LL << 30;
    show("fallocate at 5 GiB", SYS6(NR_fallocate, fd, 0, LO(far), HI(far), 4096, 0));
    show_hex64("size", size_of("sparse.bin"));
    show("fallocate keep size past 8 GiB", SYS6(NR_fallocate, fd, FALLOC_FL_KEEP_SIZE,
                                                0, 2, 4096, 0));
    show_hex64("size kept", size_of("sparse.bin"));
    show("fallocate negative length", SYS6(NR_fallocate, fd, 0, 0, 0, LO(-1LL), HI(-1LL)));
    show("sync_file_range at 5 GiB", SYS6(NR_sync_file_range, fd, LO(far), HI(far), 4096, 0, 0));
    show("sync_file_range negative offset", SYS6(NR_sync_file_range, fd, LO(-4096LL),
                                                 HI(-4096LL), 4096, 0, 0));
    show("sync_file_range bad flags", SYS6(NR_sync_file_range, fd, 0, 0, 0, 0, 8));
    show("readahead at 5 GiB", SYS4(NR_readahead, fd, LO(far), HI(far), 4096));
    show("readahead bad descriptor", SYS4(NR_readahead, 99, 0, 0, 4096));
    show("fadvise64_64", SYS6(NR_fadvise64_64, fd, LO(far), HI(far), 4096, 0,
                              POSIX_FADV_WILLNEED));
    show("fadvise64_64 negative length", SYS6(NR_fadvise64_64, fd, 0, 0, LO(-1LL), HI(-1LL),
                                              POSIX_FADV_WILLNEED));
    show("fadvise64_64 bad advice", SYS6(NR_fadvise64_64, fd, 0, 0, 0, 0, 99));
    SYS1(NR_close, fd);
    show("unlinkat", SYS3(NR_unlinkat, AT_FDCWD, "sparse.bin", 0));  /* leave no 5 GiB file */
    exit_group(0);
}
