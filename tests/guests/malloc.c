/* malloc/calloc/realloc/free over many sizes, from a few bytes to mmap-sized blocks
 * (> 128 KiB), freed in a shuffled order; contents are checked, never addresses printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKS 64

static uint32_t rng_state = 12345;

static uint32_t next_random(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Fills only a sparse set of bytes (first, last, one per 512) to keep the guest fast. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i += 512)
		p[i] = (unsigned char)(seed + i / 512);
	if (n)
		p[n - 1] = (unsigned char)(seed ^ 0x5a);
}

static int intact(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i + 1 < n; i += 512)
		if (p[i] != (unsigned char)(seed + i / 512))
			return 0;
	return !n || p[n - 1] == (unsigned char)(seed ^ 0x5a);
}

int main(void)
{
	static const size_t sizes[] = {
		1, 2, 7, 8, 15, 16, 24, 31, 32, 63, 64, 100, 127, 128, 255, 256, 500, 1000, 1024,
		4000, 4096, 5000, 10000, 65536, 100000, 131072, 135000, 200000, 1 << 20, 3 << 20,
	};
	enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned char *blocks[BLOCKS];
	size_t lengths[BLOCKS];
	int bad = 0;

	for (int i = 0; i < BLOCKS; i++) {
		lengths[i] = sizes[i % NSIZES] + next_random() % 3;
		blocks[i] = malloc(lengths[i]);
		if (!blocks[i]) {
			printf("malloc(%zu) failed\n", lengths[i]);
			return 1;
		}
		fill(blocks[i], lengths[i], (unsigned)i);
	}
	for (int i = 0; i < BLOCKS; i++)
		bad += !intact(blocks[i], lengths[i], (unsigned)i);
	printf("allocated %d blocks, %d corrupted\n", BLOCKS, bad);

	/* Grow and shrink every other block; realloc must keep the common prefix. */
	for (int i = 0; i < BLOCKS; i += 2) {
		size_t keep = lengths[i] < 64 ? lengths[i] : 64;
		unsigned char before[64];
		memcpy(before, blocks[i], keep);
		size_t new_length = (i % 4 == 0) ? lengths[i] * 3 + 17 : lengths[i] / 2 + 1;
		unsigned char *moved = realloc(blocks[i], new_length);
		if (!moved) {
			printf("realloc(%zu) failed\n", new_length);
			return 1;
		}
		bad += memcmp(before, moved, keep < new_length ? keep : new_length) != 0;
		blocks[i] = moved;
		lengths[i] = new_length;
		fill(blocks[i], lengths[i], (unsigned)i * 7);
	}
	printf("after realloc: %d corrupted\n", bad);

	/* Free in a shuffled order, reallocating some slots in between. */
	int order[BLOCKS];
	for (int i = 0; i < BLOCKS; i++)
		order[i] = i;
	for (int i = BLOCKS - 1; i > 0; i--) {
		int j = (int)(next_random() % (uint32_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int k = 0; k < BLOCKS; k++) {
		int i = order[k];
		unsigned seed = (i % 2 == 0) ? (unsigned)i * 7 : (unsigned)i;
		bad += !intact(blocks[i], lengths[i], seed);
		free(blocks[i]);
		if (k % 3 == 0) {
			blocks[i] = calloc(lengths[i] / 8 + 1, 8);
			size_t n = lengths[i] / 8 * 8 + 8;
			size_t nonzero = 0;
			for (size_t b = 0; b < n; b += 256)
				nonzero += blocks[i][b] != 0;
			bad += nonzero != 0;
			free(blocks[i]);
		}
	}
	printf("after free: %d corrupted\n", bad);

	/* Many small short-lived blocks: exercises the tcache and fastbins. */
	unsigned long total = 0;
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + next_random() % 300;
		char *p = malloc(n);
		memset(p, 'a' + round % 26, n);
		total += (unsigned long)(unsigned char)p[n / 2] + n;
		free(p);
	}
	printf("small churn total %lu\n", total);
	printf("realloc(NULL) works: %d\n", (blocks[0] = realloc(NULL, 40)) != NULL);
	free(blocks[0]);
	return bad ? 2 : 0;
}
