/* Reads stdin to EOF in the way argv[1] names and echoes it transformed:
 *   lines: fgets into a small buffer, numbered and upper-cased (long lines come in pieces)
 *   chars: getchar, rot13, then a wc-style count
 *   numbers: scanf of integers and doubles until EOF or a non-number, then their sums */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int echo_lines(void)
{
	char buf[16];
	int n = 0;
	while (fgets(buf, sizeof(buf), stdin)) {
		for (char *p = buf; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		size_t len = strlen(buf);
		printf("%d:%zu:%s%s", ++n, len, buf, buf[len - 1] == '\n' ? "" : "<no newline>\n");
	}
	printf("lines=%d eof=%d error=%d\n", n, feof(stdin) != 0, ferror(stdin) != 0);
	return 0;
}

static int echo_chars(void)
{
	long chars = 0, words = 0, lines = 0;
	int in_word = 0, c;
	while ((c = getchar()) != EOF) {
		chars++;
		lines += c == '\n';
		if (isspace(c))
			in_word = 0;
		else if (!in_word) {
			in_word = 1;
			words++;
		}
		if (isalpha(c))
			c = (tolower(c) < 'n') ? c + 13 : c - 13;
		putchar(c);
	}
	printf("\n%ld %ld %ld\n", lines, words, chars);
	return 0;
}

static int sum_numbers(void)
{
	long ints = 0;
	double reals = 0;
	int count = 0, got;
	long i;
	double d;
	while ((got = scanf("%ld %lf", &i, &d)) == 2) {
		ints += i;
		reals += d;
		count++;
	}
	char rest[32] = "";
	int tail = scanf("%31s", rest);
	printf("pairs=%d ints=%ld reals=%.6f last_scanf=%d tail=%d [%s]\n", count, ints, reals,
	       got, tail, tail == 1 ? rest : "");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "lines";
	if (!strcmp(mode, "lines"))
		return echo_lines();
	if (!strcmp(mode, "chars"))
		return echo_chars();
	if (!strcmp(mode, "numbers"))
		return sum_numbers();
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
