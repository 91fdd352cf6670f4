/* Plain C that zig cc autovectorizes for RV64+V, and musl's string functions. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>

static int64_t dot(const int32_t *a, const int32_t *b, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += (int64_t)a[i] * b[i];
    return s;
}

int main(int argc, char **argv) {
    static char buf[1000], copy[1000];
    static int32_t a[333], b[333];
    memset(buf, 'a' + argc, sizeof buf - 1);
    memcpy(copy, buf, sizeof buf);
    copy[500] = 0;
    for (int i = 0; i < 333; i++) { a[i] = i * 7 - 1000; b[i] = (i ^ 0x55) * argc; }
    printf("%zu %zu %c %d\n", strlen(buf), strlen(copy), buf[17], memcmp(buf, copy, 600) > 0);
    printf("%lld\n", (long long)dot(a, b, 333));
    return 7;
}
