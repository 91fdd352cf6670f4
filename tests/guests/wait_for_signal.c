/* Waits for a signal sent from outside: with "handle", a handler reports it and exits 7;
   with "block", it waits in a blocking read instead of a busy loop. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_signal(int sig) {
    char message[32];
    int length = snprintf(message, sizeof message, "got signal %d\n", sig);
    write(1, message, length);
    _exit(7);
}

int main(int argc, char **argv) {
    int handle = 0, block = 0;
    for (int i = 1; i < argc; i++) {
        handle |= !strcmp(argv[i], "handle");
        block |= !strcmp(argv[i], "block");
    }
    if (handle) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    int fds[2];
    pipe(fds);
    write(1, "ready\n", 6);
    if (block) {
        char byte;
        read(fds[0], &byte, 1);
    }
    for (volatile unsigned long spins = 0;; spins++) {}
}
