/* printf and friends: integer, string, character and floating-point conversions with
 * widths, precisions and flags; puts/putchar/fputs; a little stderr. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static const double doubles[] = {
	0.0, -0.0, 1.0, -1.5, 0.1, 2.0 / 3.0, 123456.789, -9876543.21e-3, 1e-5, 6.02214076e23,
	1.7976931348623157e308, 2.2250738585072014e-308, 4.9e-324, 1e21, 0.5, 2.5, 999999.5,
};

int main(void)
{
	printf("ints: %d %i %u %ld %lld\n", 0, -42, 42u, LONG_MIN, LLONG_MAX);
	printf("limits: %d %d %u %lu\n", INT_MIN, INT_MAX, UINT_MAX, ULONG_MAX);
	printf("small: %hhd %hhu %hd %hu\n", (signed char)-5, (unsigned char)250, (short)-300,
	       (unsigned short)65000);
	printf("hex: %x %X %#x %#o %o %lx %#llX\n", 255u, 255u, 255u, 8u, 0u, 0xdeadbeefUL,
	       0x0123456789abcdefULL);
	printf("width: [%5d] [%-5d] [%05d] [%+d] [% d] [%+05d] [%.3d] [%8.3d] [%-8.3d|]\n", 42,
	       42, 42, 42, 42, -42, 7, 7, -7);
	printf("star: [%*d] [%-*d] [%.*d]\n", 6, 123, 6, 123, 4, 5);
	printf("sizes: %zu %zd %td %jd\n", sizeof(long double), (ssize_t)-1, (ptrdiff_t)-7,
	       (intmax_t)INT64_MIN);
	printf("strings: [%s] [%10s] [%-10s] [%.3s] [%10.2s] [%c] [%3c] [%%]\n", "hello", "right",
	       "left", "truncate", "ab", 'x', 'y');
	printf("null precision: [%.0s] [%.0d]\n", "gone", 0);
	for (unsigned i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
		double d = doubles[i];
		printf("%u: f=%f e=%e g=%g .2f=%.2f 12.4e=%12.4e -10.3g=[%-10.3g] +.0f=%+.0f "
		       "#g=%#g .17g=%.17g a=%a\n",
		       i, d, d, d, d, d, d, d, d, d, d);
	}
	printf("float promoted: %f %g %.9g\n", 1.1f, 3.4028235e38f, 1.17549435e-38f);
	printf("specials: %f %e %g %F %5.1f\n", 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 1.0 / 0.0, -0.04);
	printf("round to even: %.0f %.0f %.0f %.1f %.2f\n", 0.5, 1.5, 2.5, 0.25, 1.005);
	puts("puts adds a newline");
	fputs("fputs does not\n", stdout);
	for (char c = 'a'; c <= 'e'; c++)
		putchar(c);
	putchar('\n');
	int written = printf("%s=%d\n", "count", 12345);
	printf("printf returned %d\n", written);
	fprintf(stderr, "to stderr: %d\n", 7);
	return 0;
}
