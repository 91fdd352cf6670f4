/* A program whose coverage and profile are known from its source. Built with -g -O0, each
 * line marked "runs: N" runs N times (0: never), and the call tree is
 *   main -> heavy (most of the time), main -> caller -> light, main -> deep -> deep -> ...,
 *   and a thread running heavy on its own. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile long sink;

__attribute__((noinline)) static void never_called(void)
{
	sink = -1; /* runs: 0 */
}

__attribute__((noinline)) static void heavy(long n)
{
	for (long i = 0; i < n; i++)
		sink += i * 3; /* runs: 40000 */
}

__attribute__((noinline)) static void light(void)
{
	sink += 1; /* runs: 3 */
}

__attribute__((noinline)) static void caller(void)
{
	light();
}

__attribute__((noinline)) static long deep(int n)
{
	if (n == 0)
		return 0; /* runs: 1 */
	return 1 + deep(n - 1); /* runs: 12 */
}

static void *worker(void *arg)
{
	heavy((long)arg); /* runs: 1 */
	return NULL;
}

int main(int argc, char **argv)
{
	(void)argv;
	heavy(30000); /* runs: 1 */
	for (int i = 0; i < 3; i++)
		caller(); /* runs: 3 */
	if (argc > 5)
		never_called(); /* runs: 0 */
	printf("deep %ld\n", deep(12));
	pthread_t thread;
	pthread_create(&thread, NULL, worker, (void *)10000);
	pthread_join(thread, NULL);
	return 3;
}
