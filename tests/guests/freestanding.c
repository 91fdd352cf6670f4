/* A libc-free guest for the CLI tests, with its own _start. argv[1] picks what it does:
 *   exit N     exit_group(N)
 *   loop       spin forever (for --max-insns)
 *   unknown    make the unassigned system call 400 twice; exit 0 if both returned -ENOSYS
 * With no argument it writes "freestanding\n" and exits 0. */

#define SYS_write 64
#define SYS_exit_group 94
#define ENOSYS 38

static long syscall1(long number, long arg0)
{
	register long a0 __asm__("a0") = arg0;
	register long a7 __asm__("a7") = number;
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
	return a0;
}

static long syscall3(long number, long arg0, long arg1, long arg2)
{
	register long a0 __asm__("a0") = arg0;
	register long a1 __asm__("a1") = arg1;
	register long a2 __asm__("a2") = arg2;
	register long a7 __asm__("a7") = number;
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
	return a0;
}

static __attribute__((noreturn)) void exit_group(long status)
{
	for (;;)
		syscall1(SYS_exit_group, status);
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static long parse(const char *s)
{
	long value = 0;
	while (*s >= '0' && *s <= '9')
		value = value * 10 + (*s++ - '0');
	return value;
}

static long unassigned_syscall(void)
{
	register long a0 __asm__("a0");
	__asm__ volatile("li a7, 400\n\tecall" : "=r"(a0) : : "a7", "memory");
	return a0;
}

/* Called with sp at argc, argv[0], ..., as the kernel starts a process. */
static __attribute__((noreturn, used)) void start_c(long *stack)
{
	long argc = stack[0];
	char **argv = (char **)(stack + 1);
	const char *mode = argc > 1 ? argv[1] : "";

	if (same(mode, "exit"))
		exit_group(argc > 2 ? parse(argv[2]) : 0);
	if (same(mode, "loop"))
		for (;;)
			__asm__ volatile("");
	if (same(mode, "unknown")) {
		long first = unassigned_syscall();
		long second = unassigned_syscall();
		exit_group(first == -ENOSYS && second == -ENOSYS ? 0 : 1);
	}
	static const char message[] = "freestanding\n";
	syscall3(SYS_write, 1, (long)message, sizeof(message) - 1);
	exit_group(0);
}

__asm__(".section .text._start, \"ax\", @progbits\n"
        ".globl _start\n"
        "_start:\n"
        "\tmv a0, sp\n"
        "\tcall start_c\n");
