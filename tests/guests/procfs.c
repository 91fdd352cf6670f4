/* The process's own /proc files: maps, cmdline and cpuinfo as the guest sees them. */
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    char line[512]; int n = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && fgets(line, sizeof line, f)) n++;
    printf("maps lines > 3: %d\n", n > 3);
    f = fopen("/proc/self/cmdline", "r"); size_t got = fread(line, 1, sizeof line, f);
    int strings = 0;
    for (size_t i = 0; i < got; i++) strings += line[i] == 0;
    printf("cmdline strings %d, the second %s\n", strings, line + strlen(line) + 1);
    f = fopen("/proc/cpuinfo", "r"); int isa = 0;
    while (fgets(line, sizeof line, f)) if (!strncmp(line, "isa", 3)) isa = strstr(line, "rv64") != 0;
    printf("cpuinfo isa rv64: %d\n", isa);
    return 0;
}
