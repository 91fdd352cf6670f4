/* A dynamically linked program: calls into libc and libm, looks a symbol up with dlsym, and
   prints, sorted, where each shared object it has mapped came from (/proc/self/maps), which shows the
   directory the ELF interpreter and the libraries were found in (-L / QEMU_LD_PREFIX). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b) {
    return *(const int *)a - *(const int *)b;
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

int main(int argc, char **argv) {
    volatile double x = argc + 0.5;
    printf("cos %.6f pow %.3f\n", cos(x), pow(x, 3.25));
    int values[] = {5, 3, 9, 1, 7};
    qsort(values, 5, sizeof *values, by_value);
    printf("sorted %d %d %d %d %d\n", values[0], values[1], values[2], values[3], values[4]);
    size_t (*length)(const char *) = (size_t (*)(const char *))dlsym(RTLD_DEFAULT, "strlen");
    printf("dlsym strlen: %zu\n", length ? length(argv[0]) : 0);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512], seen[16][256];
    int count = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (!path || !strstr(path, ".so")) continue;
        path[strcspn(path, "\n")] = 0;
        int known = 0;
        for (int i = 0; i < count; i++) known |= !strcmp(seen[i], path);
        if (!known && count < 16) snprintf(seen[count++], sizeof *seen, "%s", path);
    }
    qsort(seen, count, sizeof *seen, by_name);  /* by name: where they lie is the loader's */
    for (int i = 0; i < count; i++) printf("mapped %s\n", seen[i]);
    return 0;
}
