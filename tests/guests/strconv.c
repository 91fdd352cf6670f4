/* strtod/strtol/strtoul/atoi with end pointers and errno, and snprintf's truncation and
 * return values. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Truncation is what is being tested. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

int main(void)
{
	static const char *reals[] = {
		"0", "-0", "3.14159", "  -12.5e3xyz", "1e308", "1e309", "-1e-320", "2.5e-324",
		"1e-400", "0x1p-3", "0X1.8p+1", "inf", "-Infinity", "nan", "NAN(123)", ".5", "5.",
		"+.e3", "", "abc", "123456789012345678901234567890", "4.9406564584124654e-324",
		"0.1000000000000000055511151231257827",
	};
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		char *end;
		errno = 0;
		double d = strtod(reals[i], &end);
		int err = errno;
		printf("strtod(\"%s\") = %.17g (%a) used=%td errno=%s\n", reals[i], d, d,
		       end - reals[i], err == ERANGE ? "ERANGE" : err ? "other" : "0");
	}
	printf("strtof(\"0.1\")=%a atof=%g\n", (double)strtof("0.1", NULL), atof("6.5e1 units"));

	static const struct {
		const char *text;
		int base;
	} integers[] = {
		{"0", 10},  {"-42", 10}, {"  +17 apples", 10}, {"0x1F", 0}, {"0x1F", 16},
		{"1F", 16}, {"0755", 0}, {"0755", 10}, {"101101", 2}, {"zz", 36}, {"Zz", 36},
		{"9223372036854775807", 10}, {"9223372036854775808", 10},
		{"-9223372036854775808", 10}, {"-9223372036854775809", 10},
		{"99999999999999999999999", 0}, {"", 10}, {"-", 10}, {"0x", 16}, {"12", 3},
	};
	for (size_t i = 0; i < sizeof(integers) / sizeof(integers[0]); i++) {
		char *end;
		errno = 0;
		long l = strtol(integers[i].text, &end, integers[i].base);
		int err = errno;
		errno = 0;
		unsigned long ul = strtoul(integers[i].text, NULL, integers[i].base);
		printf("strtol(\"%s\", %d) = %ld used=%td errno=%s strtoul=%lu errno=%s\n",
		       integers[i].text, integers[i].base, l, end - integers[i].text,
		       err == ERANGE ? "ERANGE" : err ? "other" : "0", ul,
		       errno == ERANGE ? "ERANGE" : errno ? "other" : "0");
	}
	printf("strtoll=%lld strtoull=%llu atoi=%d atol=%ld\n", strtoll("-123456789012", NULL, 10),
	       strtoull("18446744073709551615", NULL, 10), atoi("  -99bottles"), atol("2147483648"));

	char buf[16];
	for (size_t size = 0; size <= 12; size += 3) {
		memset(buf, '*', sizeof(buf));
		int n = snprintf(buf, size, "%s-%d-%.2f", "abc", -1234, 2.0 / 3.0);
		printf("snprintf size=%zu returned %d buf=[%.*s] next=%c\n", size, n,
		       size ? (int)strlen(buf) : 0, buf, buf[size < sizeof(buf) ? size : 0]);
	}
	char big[128];
	int n = snprintf(big, sizeof(big), "%08.3f|%-6s|%+5ld|%#x|%c%c", -3.14159, "ab", 77L,
	                 48879, 'o', 'k');
	printf("snprintf=%d [%s]\n", n, big);
	n = snprintf(NULL, 0, "%d %s %e", 123456, "measure me", 1e100);
	printf("snprintf(NULL, 0)=%d\n", n);
	return 0;
}
