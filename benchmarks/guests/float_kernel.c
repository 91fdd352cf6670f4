/* A floating-point glibc workload: a recurrence in doubles and floats that
 * exercises what compiled C numerics emit: fdiv, fmadd (single and double),
 * fsqrt (with the frflags/flt/fsflags guard glibc's sqrt wrapper inlines),
 * int <-> float conversions ((int)x is fcvt.w.d with round-towards-zero),
 * fmin/fmax. Prints the results so a wrong emulation shows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000000;
	double x = 0.5, sum = 0, lowest = 1e300, highest = -1e300;
	float f = 1.0f;
	long buckets[16] = {0};

	for (int i = 0; i < n; i++) {
		x = x * 1.0000001 + 0.25 / (i + 1);
		double root = sqrt(x);
		sum += (i & 1) ? -root : root;
		lowest = fmin(lowest, root);
		highest = fmax(highest, root);
		buckets[(int)(root * 7.3) & 15]++;
		f = f * 0.999f + (float)i * 1e-7f;
	}
	printf("%.10f %.6f %.6f %.6f\n", sum, f, lowest, highest);
	for (int b = 0; b < 16; b++)
		printf("%ld%c", buckets[b], b == 15 ? '\n' : ' ');
	return 0;
}
