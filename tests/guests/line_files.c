/* A program whose code comes from two source files (this one and line_files/helpers.h), for
 * the line-table tests: its exit status is clamp(triangle(argc + 3), 0, 100) = 10 without
 * arguments. */

#include "line_files/helpers.h"

int main(int argc, char **argv)
{
	(void)argv;
	long total = triangle(argc + 3);
	return (int)clamp(total, 0, 100);
}
