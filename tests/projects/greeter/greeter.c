/* The project's test program, one behaviour per first argument:
 *   greet NAME   prints the greeting (a test matches its output)
 *   sum N T      exits 0 when 1 + ... + N is T
 *   refuse       exits 1 with a message (a test that expects the failure)
 *   broken       fails an assertion (the project's deliberately failing test) */
#include "greet.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "greet")) {
		puts(greet(argv[2]));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "sum"))
		return triangle(atol(argv[2])) == atol(argv[3]) ? 0 : 1;
	if (argc == 2 && !strcmp(argv[1], "refuse")) {
		fputs("greeter: refusing, as asked\n", stderr);
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "broken"))
		assert(triangle(3) == 7 && "this test fails on purpose");
	fprintf(stderr, "usage: greeter greet NAME | sum N TOTAL | refuse | broken\n");
	return 2;
}
