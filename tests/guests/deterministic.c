/* Everything a run can differ in: every clock, sleeps and timed waits, getrandom, AT_RANDOM,
 * /dev/urandom, ids, heap and stack addresses, the order racing threads take a lock in, and a
 * forked child's randomness. Under pyemu --deterministic two runs print the same bytes. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char order[THREADS * ROUNDS + 1];
static int taken;

static void hex(const char *name, const unsigned char *bytes, size_t count)
{
	printf("%s ", name);
	for (size_t i = 0; i < count; i++)
		printf("%02x", bytes[i]);
	printf("\n");
}

static void *racer(void *arg)
{
	long id = (long)arg;
	unsigned long spin = 0;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		order[taken++] = (char)('a' + id);
		pthread_mutex_unlock(&lock);
		for (unsigned long j = 0; j < (unsigned long)(id * 37 + i) % 200; j++)
			spin += j; /* uneven work between turns */
	}
	struct timespec now;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (void *)(spin + now.tv_nsec);
}

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
	static const struct { clockid_t id; const char *name; } clocks[] = {
		{CLOCK_REALTIME, "realtime"}, {CLOCK_MONOTONIC, "monotonic"},
		{CLOCK_PROCESS_CPUTIME_ID, "process"}, {CLOCK_THREAD_CPUTIME_ID, "thread"},
		{CLOCK_MONOTONIC_RAW, "raw"}, {CLOCK_REALTIME_COARSE, "realtime_coarse"},
		{CLOCK_MONOTONIC_COARSE, "monotonic_coarse"}, {CLOCK_BOOTTIME, "boottime"},
	};
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec t;
		clock_gettime(clocks[i].id, &t);
		printf("clock %s %lld.%09ld\n", clocks[i].name, (long long)t.tv_sec, t.tv_nsec);
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	printf("gettimeofday %lld.%06ld\ntime %lld\nclock %ld\n", (long long)tv.tv_sec,
	       (long)tv.tv_usec, (long long)time(NULL), (long)clock());
	unsigned long rdtime;
	__asm__ volatile("rdtime %0" : "=r"(rdtime));
	printf("rdtime %lu\n", rdtime);

	struct timespec before, after, nap = {1, 500000000};
	clock_gettime(CLOCK_MONOTONIC, &before);
	nanosleep(&nap, NULL);
	clock_gettime(CLOCK_MONOTONIC, &after);
	printf("slept %lld ns\n", ns(after) - ns(before));

	pthread_cond_t never = PTHREAD_COND_INITIALIZER;
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	pthread_mutex_lock(&lock);
	int waited = pthread_cond_timedwait(&never, &lock, &deadline);
	pthread_mutex_unlock(&lock);
	clock_gettime(CLOCK_REALTIME, &after);
	printf("timed wait %s, %lld ns late\n", waited == ETIMEDOUT ? "timed out" : "woke",
	       ns(after) - ns(deadline));

	unsigned char bytes[16];
	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		return 1;
	hex("getrandom", bytes, sizeof(bytes));
	hex("AT_RANDOM", (const unsigned char *)getauxval(AT_RANDOM), 16);
	int fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, bytes, sizeof(bytes)) != sizeof(bytes))
		return 2;
	close(fd);
	hex("urandom", bytes, sizeof(bytes));
	printf("rand %d\n", rand()); /* seeded by nothing: the same everywhere */

	int local;
	void *heap = malloc(100), *big = malloc(1 << 20);
	printf("pid %d tid %ld stack %p heap %p mmap %p main %p\n", getpid(), syscall(SYS_gettid),
	       (void *)&local, heap, big, (void *)main);

	pthread_t threads[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, racer, (void *)i);
	unsigned long sum = 0;
	for (int i = 0; i < THREADS; i++) {
		void *result;
		pthread_join(threads[i], &result);
		sum += (unsigned long)result;
	}
	printf("lock order");
	for (int i = 0, run = 1; i < THREADS * ROUNDS; i++, run++)
		if (order[i] != order[i + 1]) {
			printf(" %c%d", order[i], run);
			run = 0;
		}
	printf("\nthread results %lu\n", sum);

	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		getrandom(bytes, sizeof(bytes), 0);
		hex("child getrandom", bytes, sizeof(bytes));
		fflush(stdout);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	getrandom(bytes, sizeof(bytes), 0);
	hex("parent getrandom", bytes, sizeof(bytes));

	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	struct tms cpu;
	clock_t elapsed = times(&cpu);
	printf("rusage %ld.%06ld times %ld %ld\n", (long)usage.ru_utime.tv_sec,
	       (long)usage.ru_utime.tv_usec, (long)cpu.tms_utime, (long)elapsed);
	clock_gettime(CLOCK_REALTIME, &after);
	printf("end %lld.%09ld\n", (long long)after.tv_sec, after.tv_nsec);
	return 0;
}
