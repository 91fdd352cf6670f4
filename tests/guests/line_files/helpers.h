/* Functions of line_files.c that live in a second source file: their line-table rows name
 * this file, which DWARF 5 and DWARF 4 number differently. */

static long triangle(long n)
{
	long sum = 0;
	for (long i = 1; i <= n; i++)
		sum += i;
	return sum;
}

static long clamp(long value, long low, long high)
{
	if (value < low)
		return low;
	return value > high ? high : value;
}
