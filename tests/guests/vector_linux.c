/* What Linux tells a program about the vector extension and RVA23: AT_HWCAP, riscv_hwprobe's
   IMA_EXT_0 and cache-block sizes, /proc/cpuinfo's isa line, and prctl's vector control. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>

struct pair { long long key; unsigned long long value; };

int main(void) {
    printf("hwcap %#lx\n", getauxval(AT_HWCAP));
    struct pair pairs[3] = {{4, 0}, {6, 0}, {12, 0}};
    long r = syscall(258, pairs, 3, 0, 0, 0);
    printf("hwprobe %ld ext0 %#llx zicboz %lld:%llu zicbom %lld:%llu\n", r, pairs[0].value,
           pairs[1].key, pairs[1].value, pairs[2].key, pairs[2].value);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "isa", 3) == 0) { printf("%s", line); break; }
    errno = 0;
    long c = prctl(70, 0, 0, 0, 0);
    printf("get %ld errno %d\n", c, errno);
    errno = 0;
    long off = prctl(69, 1, 0, 0, 0);
    printf("set off %ld errno %d\n", off, errno);
    errno = 0;
    long next = prctl(69, 2 | (1 << 2) | (1 << 4), 0, 0, 0);
    printf("set next off %ld errno %d get %ld\n", next, errno, (long)prctl(70, 0, 0, 0, 0));
    return 0;
}
