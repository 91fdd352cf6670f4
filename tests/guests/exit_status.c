/* Ends the way argv[1] says, with the status in argv[2]:
 *   return N | exit N | _exit N | atexit N | abort | null-write
 * Output left in the stdio buffer (no newline) shows whether exit flushed it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void goodbye(void)
{
	printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "return";
	int status = argc > 2 ? atoi(argv[2]) : 0;
	printf("ending by %s", how);
	if (!strcmp(how, "return"))
		return status;
	if (!strcmp(how, "exit"))
		exit(status);
	if (!strcmp(how, "_exit"))
		_exit(status); /* skips the stdio flush: nothing is printed */
	if (!strcmp(how, "atexit")) {
		atexit(goodbye);
		printf("\n");
		exit(status);
	}
	if (!strcmp(how, "abort")) {
		fflush(stdout);
		abort();
	}
	if (!strcmp(how, "null-write")) {
		volatile int *volatile target = NULL; /* not folded into a trap or dropped */
		fflush(stdout);
		*target = 1;
	}
	return 99;
}
