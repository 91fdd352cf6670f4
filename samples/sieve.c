/* Sieve of Eratosthenes: counts the primes below argv[1] (default 2000000).
 * It is the speed benchmark guest: a bit array keeps the working set small
 * (250 KB by default) and gives a mix of loads, stores, shifts, logic ops and
 * branches, about 58 M instructions with the default limit. */
#include "sys.h"

#define DEFAULT_LIMIT 2000000UL
#define MAX_LIMIT 64000000UL

/* In .bss, so it starts zeroed: a clear bit means "not yet known to be
 * composite". */
static unsigned long composite_bits[MAX_LIMIT / 64 + 1];

static inline int is_composite(unsigned long n)
{
	return (composite_bits[n / 64] >> (n % 64)) & 1;
}

static inline void mark_composite(unsigned long n)
{
	composite_bits[n / 64] |= 1UL << (n % 64);
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	unsigned long limit = parse_u64(argc > 1 ? argv[1] : 0, DEFAULT_LIMIT);
	if (limit > MAX_LIMIT) {
		print_str("sieve: limit too large\n");
		return 2;
	}

	unsigned long count = 0;
	for (unsigned long n = 2; n < limit; n++) {
		if (is_composite(n))
			continue;
		count++;
		for (unsigned long multiple = n * n; multiple < limit; multiple += n)
			mark_composite(multiple);
	}

	print_str("primes below ");
	print_u64(limit);
	print_str(": ");
	print_u64(count);
	print_str("\n");
	return 0;
}
