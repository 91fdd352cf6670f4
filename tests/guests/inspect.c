/* A guest to look inside: a global that changes, a function called in a loop, output, and
 * (with argument "crash") a store to an unmapped address. */
#include <stdio.h>
#include <string.h>

volatile long counter;
char message[32] = "hello";

long twice(long x)
{
	return 2 * x;
}

int main(int argc, char **argv)
{
	long total = 0;
	for (int i = 0; i < 5; i++) {
		counter = counter + 1;
		total += twice(i);
	}
	printf("%s %ld %ld\n", message, total, (long)counter);
	if (argc > 1 && !strcmp(argv[1], "crash"))
		*(volatile int *)16 = 1;
	return (int)(total % 7);
}
