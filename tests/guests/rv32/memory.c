/* RV32 memory system calls: brk, mmap2 (its offset counts 4096-byte pages), munmap,
   mprotect; ends by touching an unmapped page (killed by SIGSEGV: status 139). */
#include "rv32.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define PAGE 4096

static int is_error(long r) { return (unsigned long)r >= (unsigned long)-4095; }

void _start(void) {
    long start = SYS1(NR_brk, 0);
    long grown = SYS1(NR_brk, start + 3 * PAGE + 100);
    show("brk grows", grown - start);
    volatile u8 *heap = (u8 *)start;
    heap[0] = 1;
    heap[3 * PAGE + 99] = 2;
    show("heap holds", heap[0] + heap[3 * PAGE + 99]);
    show("brk shrinks", SYS1(NR_brk, start + PAGE) - start);
    show("brk below start stays", SYS1(NR_brk, start - 5 * PAGE) - start);

    u8 *anon = (u8 *)SYS6(NR_mmap2, 0, 3 * PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("mmap2 anonymous aligned", !is_error((long)anon) && ((u32)anon & (PAGE - 1)) == 0);
    u32 sum = 0;
    for (u32 i = 0; i < 3 * PAGE; i++) sum += anon[i];
    show("anonymous pages are zero", sum);
    for (u32 i = 0; i < 3 * PAGE; i++) anon[i] = (u8)i;
    show("last byte", anon[3 * PAGE - 1]);
    show("mprotect read-only", SYS3(NR_mprotect, anon + PAGE, PAGE, PROT_READ));

    int fd = SYS4(NR_openat, AT_FDCWD, "pages.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static u8 page[PAGE];
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < PAGE; i++) page[i] = 'A' + p;
        SYS3(NR_write, fd, page, PAGE);
    }
    for (int units = 0; units < 3; units++) {
        u8 *view = (u8 *)SYS6(NR_mmap2, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, units);
        print("mmap2 of page ");
        print_dec(units);
        print(": ");
        char first[2] = {(char)view[0], 0};
        print(first);
        print("\n");
        SYS2(NR_munmap, view, PAGE);
    }
    u8 *fixed = (u8 *)SYS6(NR_mmap2, anon + PAGE, PAGE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_FIXED, fd, 2);
    show("mmap2 fixed in place", fixed == anon + PAGE);
    show("fixed page from the file", fixed[5]);
    show("mmap2 length 0", SYS6(NR_mmap2, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show("munmap", SYS2(NR_munmap, anon, 3 * PAGE));
    show("munmap unaligned", SYS2(NR_munmap, anon + 1, PAGE));
    print("touching the unmapped page\n");
    show("never printed", *(volatile u8 *)anon);
    exit_group(0);
}
