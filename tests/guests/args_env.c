/* Prints argc, every argv entry, and the environment sorted (qemu reverses the order of its
 * own environment for the guest, the kernel keeps it; sorting compares the contents). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=[%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
	printf("argv[argc] is %s\n", argv[argc] ? "not NULL" : "NULL");

	int count = 0;
	while (envp[count])
		count++;
	char **sorted = malloc((size_t)(count + 1) * sizeof(char *));
	memcpy(sorted, envp, (size_t)(count + 1) * sizeof(char *));
	qsort(sorted, (size_t)count, sizeof(char *), by_string);
	printf("envc=%d\n", count);
	for (int i = 0; i < count; i++)
		printf("env[%d]=[%s]\n", i, sorted[i]);
	const char *path = getenv("PATH");
	printf("getenv(PATH)=%s getenv(NOPE)=%s\n", path ? path : "(unset)",
	       getenv("NOPE") ? "set" : "(unset)");
	free(sorted);
	return 0;
}
