#include "greet.h"

#include <stdio.h>

const char *greet(const char *name)
{
	static char line[128];
	snprintf(line, sizeof(line), "hello, %s", name);
	return line;
}

long triangle(long n)
{
	return n <= 0 ? 0 : n + triangle(n - 1);
}
