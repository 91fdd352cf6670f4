/* Freestanding RV32 guest: integer arithmetic at the edges, printed as hex. Built with
   -march=rv32imac -mabi=ilp32; runs under qemu-riscv32 and pyemu. */
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;

static long syscall3(long n, long a, long b, long c) {
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static char line[64];

static void put(const char *label, u32 value) {
    int n = 0;
    while (*label) line[n++] = *label++;
    line[n++] = ' ';
    for (int shift = 28; shift >= 0; shift -= 4) line[n++] = "0123456789abcdef"[(value >> shift) & 15];
    line[n++] = '\n';
    syscall3(64, 1, (long)line, n);
}

static volatile u32 values[] = {0, 1, 2, 7, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
                                0x12345678, 0x9abcdef0, 31, 32, 33};
#define COUNT (sizeof values / sizeof values[0])

void _start(void) {
    u32 sum = 0;
    for (unsigned i = 0; i < COUNT; i++) {
        for (unsigned j = 0; j < COUNT; j++) {
            u32 a = values[i], b = values[j];
            sum = sum * 31 + a * b;
            sum = sum * 31 + (u32)(((u64)a * b) >> 32);                   /* mulhu */
            sum = sum * 31 + (u32)(((long long)(s32)a * (s32)b) >> 32);   /* mulh */
            sum = sum * 31 + (b ? a / b : 0xffffffff);                   /* divu */
            sum = sum * 31 + (b ? a % b : a);
            sum = sum * 31 + (u32)((b && !(a == 0x80000000 && b == 0xffffffff)) ? (s32)a / (s32)b : 0);
            sum = sum * 31 + (a << (b & 31)) + (a >> (b & 31)) + (u32)((s32)a >> (b & 31));
            sum = sum * 31 + ((s32)a < (s32)b) + (a < b) * 2;
        }
        put("running", sum);
    }
    volatile unsigned char bytes[8] = {0x80, 0xff, 0x7f, 1, 2, 3, 4, 5};
    put("lb", (u32)(s32)(signed char)bytes[0]);
    put("lh", (u32)(s32)*(volatile short *)&bytes[0]);
    put("lhu", *(volatile unsigned short *)&bytes[0]);
    put("lw", *(volatile u32 *)&bytes[0]);
    put("sum", sum);
    syscall3(93, sum & 0xff, 0, 0);
}
