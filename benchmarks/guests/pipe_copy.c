/* cat: stdin to stdout through a 64 KiB buffer, as a shell pipeline moves bulk data. The
   time is in read and write, each moving up to a pipe's capacity per call. */
#include <unistd.h>

static char buffer[1 << 16];

int main(void) {
    for (;;) {
        ssize_t got = read(0, buffer, sizeof buffer);
        if (got < 0)
            return 1;
        if (got == 0)
            return 0;
        for (ssize_t done = 0; done < got;) {
            ssize_t put = write(1, buffer + done, (size_t)(got - done));
            if (put <= 0)
                return 1;
            done += put;
        }
    }
}
