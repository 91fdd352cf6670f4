/* Files in the working directory through stdio: write, read back, append, seek, remove,
 * and (in mode "rename") rename. Reports each step; the files left behind are compared too. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void show(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: cannot open: %s\n", path, strerror(errno));
		return;
	}
	char line[128];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		printf("%s:%d: %s", path, ++n, line);
	printf("%s: %d lines\n", path, n);
	fclose(f);
}

static long size_of(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	return size;
}

int main(int argc, char **argv)
{
	int do_rename = argc > 1 && !strcmp(argv[1], "rename");

	FILE *f = fopen("notes.txt", "w");
	if (!f) {
		printf("fopen(w) failed: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 1; i <= 5; i++)
		fprintf(f, "line %d of %d: %s\n", i, 5, i % 2 ? "odd" : "even");
	printf("fclose(w)=%d\n", fclose(f));
	show("notes.txt");

	f = fopen("notes.txt", "a");
	fputs("appended line\n", f);
	fclose(f);
	printf("size after append=%ld\n", size_of("notes.txt"));

	f = fopen("notes.txt", "r+");
	fseek(f, 5, SEEK_SET);
	fputc('#', f);
	fseek(f, -6, SEEK_END);
	char tail[8] = "";
	size_t got = fread(tail, 1, 6, f);
	printf("tail (%zu bytes)=[%.*s] ftell=%ld\n", got, (int)got, tail, ftell(f));
	rewind(f);
	printf("first char after rewind=%c\n", fgetc(f));
	fclose(f);
	show("notes.txt");

	/* Binary data with every byte value, read back with fread. */
	unsigned char bytes[256], back[256];
	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)(255 - i);
	f = fopen("data.bin", "wb");
	printf("fwrite=%zu\n", fwrite(bytes, 1, sizeof(bytes), f));
	fclose(f);
	f = fopen("data.bin", "rb");
	printf("fread=%zu same=%d\n", fread(back, 1, sizeof(back), f), !memcmp(bytes, back, 256));
	printf("fread at eof=%zu feof=%d\n", fread(back, 1, 1, f), feof(f) != 0);
	fclose(f);

	f = fopen("scratch.tmp", "w");
	fputs("short-lived\n", f);
	fclose(f);
	printf("remove=%d\n", remove("scratch.tmp"));
	errno = 0;
	printf("remove again=%d errno=%s\n", remove("scratch.tmp"), strerror(errno));
	errno = 0;
	printf("fopen missing=%s errno=%s\n", fopen("missing.txt", "r") ? "opened" : "NULL",
	       strerror(errno));

	if (do_rename) {
		printf("rename=%d\n", rename("notes.txt", "renamed.txt"));
		show("notes.txt");
		show("renamed.txt");
	}
	return 0;
}
