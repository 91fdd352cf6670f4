/* <string.h> and <ctype.h> on buffers of many lengths and alignments (glibc's word-at-a-time
 * string functions take different paths for each). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Truncating strncat is one of the cases. */
#pragma GCC diagnostic ignored "-Wstringop-truncation"

static unsigned checksum(const unsigned char *p, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = sum * 31 + p[i];
	return sum;
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

int main(void)
{
	char buf[256], other[256];
	const char *text = "The quick brown fox jumps over the lazy dog";

	for (size_t offset = 0; offset < 8; offset++) {
		for (size_t len = 0; len < 40; len += 3) {
			char *s = buf + offset;
			memset(buf, '#', sizeof(buf));
			memcpy(s, text, len);
			s[len] = '\0';
			strcpy(other + (7 - offset), s);
			printf("o%zu l%zu: strlen=%zu cmp=%d chr=%ld rchr=%ld\n", offset, len, strlen(s),
			       sign(strcmp(s, other + (7 - offset))),
			       strchr(s, 'o') ? (long)(strchr(s, 'o') - s) : -1L,
			       strrchr(s, 'o') ? (long)(strrchr(s, 'o') - s) : -1L);
		}
	}

	printf("strcmp: %d %d %d %d\n", sign(strcmp("abc", "abd")), sign(strcmp("abc", "ab")),
	       sign(strcmp("", "")), sign(strcmp("\xff", "a")));
	printf("strncmp: %d %d\n", sign(strncmp("abcdef", "abcxyz", 3)),
	       sign(strncmp("abcdef", "abcxyz", 4)));
	printf("strcasecmp: %d %d\n", sign(strcasecmp("HeLLo", "hello")),
	       sign(strncasecmp("ABCd", "abce", 4)));
	printf("memcmp: %d %d\n", sign(memcmp("abc\0x", "abc\0y", 5)), sign(memcmp("a", "b", 0)));
	printf("strstr: %s | %s | %p\n", strstr(text, "fox"), strstr(text, "lazy"),
	       (void *)strstr(text, "cat"));
	printf("strspn=%zu strcspn=%zu strpbrk=%s\n", strspn("aabbcxd", "abc"),
	       strcspn("hello, world", ",!"), strpbrk(text, "xyz"));

	strcpy(buf, "con");
	strcat(buf, "cat");
	strncat(buf, "enation!!!", 7);
	printf("strcat: %s (%zu)\n", buf, strlen(buf));
	memset(buf, 'z', 10);
	strncpy(buf, "ab", 6);
	printf("strncpy pads: %d %d %d %c\n", buf[2], buf[5], buf[6] == 'z', buf[0]);

	for (int i = 0; i < 64; i++)
		buf[i] = (char)i;
	memmove(buf + 3, buf, 40);
	memmove(other, buf + 3, 40);
	memmove(buf, buf + 10, 30);
	printf("memmove: %u %u\n", checksum((unsigned char *)buf, 64),
	       checksum((unsigned char *)other, 40));

	char line[] = "alpha, beta,,gamma ; delta";
	for (char *tok = strtok(line, " ,;"); tok; tok = strtok(NULL, " ,;"))
		printf("token [%s]\n", tok);

	char *copy = strdup(text);
	for (char *p = copy; *p; p++)
		*p = (char)(isupper((unsigned char)*p) ? tolower((unsigned char)*p)
		                                       : toupper((unsigned char)*p));
	printf("swapcase: %s\n", copy);
	int alpha = 0, digit = 0, space = 0, punct = 0;
	for (const char *p = "Hello, World 2024! <tab>\t"; *p; p++) {
		alpha += !!isalpha((unsigned char)*p);
		digit += !!isdigit((unsigned char)*p);
		space += !!isspace((unsigned char)*p);
		punct += !!ispunct((unsigned char)*p);
	}
	printf("ctype: alpha=%d digit=%d space=%d punct=%d\n", alpha, digit, space, punct);
	free(copy);
	return 0;
}
