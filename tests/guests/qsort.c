/* qsort and bsearch on integers, doubles, strings and structs (ties broken by index). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT 300

struct person {
	char name[8];
	int age;
	int index;
};

static uint32_t rng_state = 2024;

static uint32_t next_random(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 4;
}

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int by_double_descending(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_age_then_index(const void *a, const void *b)
{
	const struct person *p = a, *q = b;
	if (p->age != q->age)
		return p->age - q->age;
	return p->index - q->index;
}

int main(void)
{
	static int ints[COUNT];
	static double doubles[COUNT];
	static struct person people[COUNT];
	static const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "kiwi", "date",
	                              "apricot", "lime", "grape", "melon", "plum", "", "Zebra"};
	enum { NWORDS = sizeof(words) / sizeof(words[0]) };

	for (int i = 0; i < COUNT; i++) {
		ints[i] = (int)(next_random() % 2000) - 1000;
		doubles[i] = (double)(int)(next_random() % 100000) / 7.0 - 5000.0;
		snprintf(people[i].name, sizeof(people[i].name), "p%d", i);
		people[i].age = (int)(next_random() % 90);
		people[i].index = i;
	}
	qsort(ints, COUNT, sizeof(int), by_int);
	long sum = 0;
	int sorted = 1;
	for (int i = 0; i < COUNT; i++) {
		sum += (long)ints[i] * (i + 1);
		sorted &= i == 0 || ints[i - 1] <= ints[i];
	}
	printf("ints sorted=%d min=%d max=%d weighted=%ld\n", sorted, ints[0], ints[COUNT - 1], sum);
	for (int probe = -1000; probe < 1000; probe += 250) {
		int *hit = bsearch(&probe, ints, COUNT, sizeof(int), by_int);
		printf("bsearch %d: %s\n", probe, hit ? "found" : "absent");
	}

	qsort(doubles, COUNT, sizeof(double), by_double_descending);
	printf("doubles: %.6f %.6f %.6f\n", doubles[0], doubles[COUNT / 2], doubles[COUNT - 1]);

	qsort(words, NWORDS, sizeof(words[0]), by_string);
	for (int i = 0; i < NWORDS; i++)
		printf("[%s]", words[i]);
	printf("\n");

	qsort(people, COUNT, sizeof(people[0]), by_age_then_index);
	for (int i = 0; i < COUNT; i += 37)
		printf("%s:%d ", people[i].name, people[i].age);
	printf("\n");
	return 0;
}
