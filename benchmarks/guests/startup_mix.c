/* A short, ordinary C program: formatted doubles, a small file written and read back, and
   stdin. Most of its instructions are glibc code that runs once or a few times (stdio,
   printf's floating-point formatting), the kind of cold code real programs start with. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 400;
    const char *path = "startup_mix.txt";
    FILE *file = fopen(path, "w");
    if (file == NULL)
        return 1;
    double total = 0.0;
    for (int i = 1; i <= rows; i++) {
        double x = sqrt((double)i) / 3.0;
        fprintf(file, "%d %.6f %g\n", i, x, x * 1e-3);
    }
    fclose(file);
    file = fopen(path, "r");
    char line[128];
    int count = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        int index;
        double x, y;
        if (sscanf(line, "%d %lf %lf", &index, &x, &y) == 3)
            total += x + y;
        count++;
    }
    fclose(file);
    remove(path);
    size_t in_bytes = 0;
    while (fgets(line, sizeof line, stdin) != NULL)
        in_bytes += strlen(line);
    printf("rows %d total %.9f stdin %zu\n", count, total, in_bytes);
    return 0;
}
