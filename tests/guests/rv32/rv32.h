/* Freestanding RV32 Linux for the guests in this folder: raw system calls (riscv32 numbers)
   and printing to stdout. There is no libc for riscv32 on Debian, so each guest has its own
   _start; 64-bit values are printed in hex (a 64-bit division would need libgcc). */
typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;
typedef long long s64;

enum {
    NR_mkdirat = 34, NR_unlinkat = 35, NR_fstatfs64 = 44, NR_ftruncate64 = 46, NR_openat = 56,
    NR_close = 57, NR_getdents64 = 61, NR_llseek = 62, NR_read = 63, NR_write = 64,
    NR_writev = 66, NR_pread64 = 67, NR_pwrite64 = 68, NR_exit_group = 94, NR_nanosleep = 101,
    NR_clock_gettime = 113, NR_kill = 129, NR_sigaltstack = 132, NR_rt_sigaction = 134,
    NR_rt_sigprocmask = 135, NR_getpid = 172, NR_brk = 214, NR_munmap = 215, NR_mmap2 = 222,
    NR_mprotect = 226, NR_statx = 291, NR_clock_gettime64 = 403, NR_clock_getres_time64 = 406,
    NR_clock_nanosleep_time64 = 407, NR_fallocate = 47, NR_sync_file_range = 84,
    NR_waitid = 95, NR_readahead = 213, NR_clone = 220, NR_fadvise64_64 = 223,
};
#define AT_FDCWD (-100)

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a4 __asm__("a4") = e;
    register long a5 __asm__("a5") = f;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
                     : "memory");
    return a0;
}
#define SYS6(n, a, b, c, d, e, f) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define SYS5(n, a, b, c, d, e) SYS6(n, a, b, c, d, e, 0)
#define SYS4(n, a, b, c, d) SYS6(n, a, b, c, d, 0, 0)
#define SYS3(n, a, b, c) SYS6(n, a, b, c, 0, 0, 0)
#define SYS2(n, a, b) SYS6(n, a, b, 0, 0, 0, 0)
#define SYS1(n, a) SYS6(n, a, 0, 0, 0, 0, 0)
#define SYS0(n) SYS6(n, 0, 0, 0, 0, 0, 0)

static u32 length(const char *s) {
    u32 n = 0;
    while (s[n]) n++;
    return n;
}

static void print(const char *s) { SYS3(NR_write, 1, s, length(s)); }

static void print_hex(u32 value) {
    char digits[11] = "0x";
    for (int i = 0; i < 8; i++) digits[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 15];
    digits[10] = 0;
    print(digits);
}

static void print_dec(s32 value) {
    char digits[12];
    int n = 11;
    u32 magnitude = value < 0 ? -(u32)value : (u32)value;
    digits[n] = 0;
    do { digits[--n] = '0' + magnitude % 10; magnitude /= 10; } while (magnitude);
    if (value < 0) digits[--n] = '-';
    print(digits + n);
}

/* "label value\n" with the value in decimal. */
static void show(const char *label, s32 value) {
    print(label);
    print(" ");
    print_dec(value);
    print("\n");
}

static __attribute__((unused)) void show_hex64(const char *label, u64 value) {
    print(label);
    print(" ");
    print_hex((u32)(value >> 32));
    print(" ");
    print_hex((u32)value);
    print("\n");
}

static __attribute__((noreturn)) void exit_group(int status) {
    SYS1(NR_exit_group, status);
    __builtin_unreachable();
}

static __attribute__((unused)) int equal(const void *a, const void *b, u32 n) {
    const u8 *x = a, *y = b;
    for (u32 i = 0; i < n; i++)
        if (x[i] != y[i]) return 0;
    return 1;
}

/* What the compiler may call for struct copies and zeroing (there is no libc). */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memset(void *to, int byte, unsigned long n) {
    u8 *p = to;
    while (n--) *p++ = (u8)byte;
    return to;
}

__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memcpy(void *to, const void *from, unsigned long n) {
    u8 *p = to;
    const u8 *q = from;
    while (n--) *p++ = *q++;
    return to;
}
