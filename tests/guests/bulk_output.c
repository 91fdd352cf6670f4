/* Output that must arrive whole. argv[1] picks what:
 *   stdio MIB      fwrite MIB MiB of a pattern to stdout (block k of 64 KiB holds (i + 7k) & 255)
 *   write MIB      the same with write(), retrying short writes
 *   epipe          ignore SIGPIPE, write lines until write fails; report its errno on stderr
 *   exits HOW      write "kept\n" to the file "out" and "stdout\n" to stdout with stdio
 *                  (unflushed), then end: exit, _exit, abort, segv, loop (spin), block (wait
 *                  in read), exec (run itself with "exits exit"), reexec (run itself with
 *                  "exits reexec", for ever) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 65536

static void pattern(unsigned char *buffer, long k) {
    for (int i = 0; i < BLOCK; i++) buffer[i] = (unsigned char)(i + 7 * k);
}

int main(int argc, char **argv) {
    static unsigned char buffer[BLOCK];
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "stdio") || !strcmp(argv[1], "write")) {
        long blocks = atol(argv[2]) * (1 << 20) / BLOCK;
        for (long k = 0; k < blocks; k++) {
            pattern(buffer, k);
            if (argv[1][0] == 's') {
                if (fwrite(buffer, 1, BLOCK, stdout) != BLOCK) return 1;
                continue;
            }
            for (long done = 0; done < BLOCK;) {
                long n = write(1, buffer + done, BLOCK - done);
                if (n < 0) return 1;
                done += n;
            }
        }
        return fflush(stdout) ? 1 : 0;
    }
    if (!strcmp(argv[1], "epipe")) {
        signal(SIGPIPE, SIG_IGN);
        for (long i = 0;; i++) {
            char line[32];
            int length = snprintf(line, sizeof line, "line %ld\n", i);
            if (write(1, line, length) < 0) {
                fprintf(stderr, "write failed: %s\n", strerrorname_np(errno));
                return 3;
            }
        }
    }
    if (!strcmp(argv[1], "exits") && argc > 2) {
        const char *how = argv[2];
        int fd = open("out", O_WRONLY | O_CREAT | O_APPEND, 0644);
        write(fd, "kept\n", 5);
        printf("stdout\n");
        if (!strcmp(how, "exit")) exit(0);
        if (!strcmp(how, "_exit")) _exit(0);
        if (!strcmp(how, "abort")) abort();
        if (!strcmp(how, "segv")) {
            volatile int *volatile nowhere = NULL;
            return *nowhere;
        }
        if (!strcmp(how, "exec") || !strcmp(how, "reexec")) {
            char *again[] = {argv[0], "exits", how[0] == 'e' ? "exit" : "reexec", NULL};
            execv(argv[0], again);
            return 4;
        }
        if (!strcmp(how, "block")) {
            int fds[2];
            pipe(fds);
            write(2, "ready\n", 6);
            read(fds[0], buffer, 1);
        }
        for (volatile unsigned long spins = 0;; spins++) {}
    }
    return 2;
}
