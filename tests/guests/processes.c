/* fork, wait, exit statuses, pipes between processes, execve of a RISC-V program and of a
   #! script, and exec failures. argv[1] = "child" makes it the exec'd program. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int status) {
    if (WIFEXITED(status)) printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) printf("%s: killed by %d\n", what, WTERMSIG(status));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "child")) {
        printf("exec'd child: argc %d, last arg %s, env PYEMU_TEST=%s\n", argc, argv[argc - 1],
               getenv("PYEMU_TEST") ? getenv("PYEMU_TEST") : "(none)");
        return 5;
    }
    int status;
    pid_t pid = fork();
    if (pid == 0) { printf("in the child\n"); _exit(3); }
    waitpid(pid, &status, 0);
    report("plain child", status);

    pid = fork();
    if (pid == 0) { abort(); }
    waitpid(pid, &status, 0);
    report("aborting child", status);

    int fds[2];
    pipe(fds);
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        const char message[] = "through the pipe";
        write(fds[1], message, sizeof message);
        _exit(0);
    }
    close(fds[1]);
    char buffer[64] = {0};
    ssize_t got = read(fds[0], buffer, sizeof buffer);
    waitpid(pid, &status, 0);
    printf("parent read %zd bytes: %s\n", got, buffer);

    pid = fork();
    if (pid == 0) {
        char *args[] = {argv[0], "child", "a", "b", NULL};
        char *env[] = {"PYEMU_TEST=yes", NULL};
        execve(argv[0], args, env);
        _exit(99);
    }
    waitpid(pid, &status, 0);
    report("exec'd child", status);

    FILE *script = fopen("script.sh", "w");
    fprintf(script, "#!%s child\n", argv[0]);
    fclose(script);
    chmod("script.sh", 0755);
    pid = fork();
    if (pid == 0) {
        char *args[] = {"./script.sh", "x", NULL};
        execv("./script.sh", args);
        _exit(98);
    }
    waitpid(pid, &status, 0);
    report("script child", status);

    char *args[] = {"missing", NULL};
    /* The call before the printf: the order of a call's arguments is the compiler's. */
    int failed = execv("./missing", args);
    printf("exec of a missing file: %d %s\n", failed, strerror(errno));
    fclose(fopen("plain.txt", "w"));
    failed = execv("./plain.txt", args);
    printf("exec of a non-executable: %d %s\n", failed, strerror(errno));
    failed = wait(&status);
    printf("wait with no children: %d %s\n", failed, strerror(errno));
    return 0;
}
