/* Naive recursive Fibonacci of argv[1] (default 25): deep call/return
 * traffic. Prints the result and exits with it modulo 256. */
#include "sys.h"

static unsigned long fib(unsigned long n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	unsigned long result = fib(parse_u64(argc > 1 ? argv[1] : 0, 25));
	print_u64(result);
	print_str("\n");
	return (int)(result % 256);
}
