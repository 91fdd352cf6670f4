/* A child killed as soon as fork returns in its parent (a shell's `cmd & kill $!`): the
   signal must reach it however little of the child has run, and end it. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int killed = 0, rounds = 30;
    for (int i = 0; i < rounds; i++) {
        pid_t child = fork();
        if (child == 0) {
            sleep(3);  /* a lost SIGTERM lets it end normally, 3 s later */
            _exit(0);
        }
        kill(child, SIGTERM);
        int status;
        waitpid(child, &status, 0);
        killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
    }
    printf("killed by SIGTERM: %d of %d\n", killed, rounds);
    return 0;
}
