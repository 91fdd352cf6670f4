/* Tiny freestanding runtime for the samples: raw Linux syscalls and the few
 * string/number helpers they need. No libc anywhere; start.S does the exit. */
#ifndef SAMPLES_SYS_H
#define SAMPLES_SYS_H

#define SYS_write 64

static inline long syscall3(long number, long arg0, long arg1, long arg2)
{
	register long a0 __asm__("a0") = arg0;
	register long a1 __asm__("a1") = arg1;
	register long a2 __asm__("a2") = arg2;
	register long a7 __asm__("a7") = number;
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
	return a0;
}

static inline long sys_write(int fd, const void *buf, unsigned long len)
{
	return syscall3(SYS_write, fd, (long)buf, (long)len);
}

static inline unsigned long str_len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void print_str(const char *s)
{
	sys_write(1, s, str_len(s));
}

static inline void print_u64(unsigned long value)
{
	char digits[20];
	int start = sizeof(digits);
	do {
		digits[--start] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	sys_write(1, digits + start, sizeof(digits) - start);
}

/* Parses a decimal number; returns fallback for a missing or malformed one. */
static inline unsigned long parse_u64(const char *s, unsigned long fallback)
{
	unsigned long value = 0;
	if (!s || !*s)
		return fallback;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return fallback;
		value = value * 10 + (unsigned long)(*s - '0');
	}
	return value;
}

#endif
