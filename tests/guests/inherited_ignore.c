/* Prints the dispositions it started with, then "ready", and survives a second's sleep
   unless a signal sent meanwhile ends it. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    const int signals[] = {SIGINT, SIGHUP, SIGTERM};
    const char *names[] = {"SIGINT", "SIGHUP", "SIGTERM"};
    for (int i = 0; i < 3; i++) {
        struct sigaction action;
        sigaction(signals[i], NULL, &action);
        printf("%s %s\n", names[i], action.sa_handler == SIG_IGN ? "ignored" : "default");
    }
    printf("ready\n");
    fflush(stdout);
    sleep(1);
    printf("survived\n");
    return 0;
}
