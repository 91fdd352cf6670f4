/* RV32 structures of long fields: struct sysinfo (64 bytes), struct rusage (72), struct tms
   (16). The values are the host's; what must match is the size each call writes (the guard
   words after each structure stay intact) and the fields' sanity. Exit status 5. */
#include "rv32.h"

enum { NR_times = 153, NR_getrusage = 165, NR_sysinfo = 179 };
#define GUARD 0x5a5a5a5a

static u32 buffer[64];

static void fill(void) {
    for (u32 i = 0; i < 64; i++) buffer[i] = GUARD;
}

static int untouched_from(u32 bytes) {
    for (u32 i = bytes / 4; i < 64; i++)
        if (buffer[i] != GUARD) return 0;
    return 1;
}

void _start(void) {
    fill();
    show("sysinfo", SYS1(NR_sysinfo, buffer));
    show("sysinfo wrote 64 bytes at most", untouched_from(64));
    u32 mem_unit = buffer[13];
    show("sysinfo mem_unit is 1 or a page", mem_unit == 1 || mem_unit == 4096);
    show("sysinfo totalram nonzero", buffer[4] != 0);
    show("sysinfo freeram below totalram", buffer[5] <= buffer[4]);

    fill();
    show("getrusage", SYS2(NR_getrusage, 0, buffer));
    show("getrusage wrote 72 bytes at most", untouched_from(72));
    show("maxrss nonzero", buffer[4] != 0);
    show("microseconds below a second", buffer[1] < 1000000 && buffer[3] < 1000000);
    show("getrusage bad who", SYS2(NR_getrusage, 7, buffer));

    fill();
    show("times returns ticks", SYS1(NR_times, buffer) != -1);
    show("times wrote 16 bytes at most", untouched_from(16));
    exit_group(5);
}
