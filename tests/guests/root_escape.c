/* Tries to reach a file outside its root directory (pyemu --root) every way a process can,
 * and to change things below the root. One line per attempt: "what: result", where result
 * is what was read ("read TEXT"), "ok" or the errno name. argv[1] is the host directory
 * holding the root and the file "secret" next to it; argv[2] "write" makes the attempts
 * that change the file system too, "race" has a child swap a directory for a symlink to ".."
 * while the parent reads through it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int result) {
    if (result < 0)
        printf("%s: %s\n", what, strerrorname_np(errno));
    else
        printf("%s: ok\n", what);
}

/* Read a file relative to dirfd and print its first line. */
static void read_at(const char *what, int dirfd, const char *path) {
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd < 0) {
        report(what, -1);
        return;
    }
    char buffer[256] = {0};
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n < 0) {
        report(what, -1);
        return;
    }
    buffer[strcspn(buffer, "\n")] = 0;
    printf("%s: read %s\n", what, buffer);
}

static void read_path(const char *what, const char *path) { read_at(what, AT_FDCWD, path); }

static void show_link(const char *what, const char *path) {
    char target[512];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) {
        report(what, -1);
        return;
    }
    target[n] = 0;
    printf("%s: -> %s\n", what, target);
}

static void show_cwd(const char *what) {
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd))
        report(what, -1);
    else
        printf("%s: %s\n", what, cwd);
}

/* The child flips /sw between a directory holding "secret" (a decoy) and a symlink to "..";
 * the parent reads /sw/secret meanwhile. Followed on the host, the symlink would lead to the
 * real secret next to the root. */
static void race(void) {
    mkdir("/dir", 0755);
    int fd = open("/dir/secret", O_CREAT | O_WRONLY, 0644);
    write(fd, "decoy\n", 6);
    close(fd);
    symlink("..", "/link");
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < 400; i++) {
            rename("/dir", "/sw");
            rename("/sw", "/dir");
            rename("/link", "/sw");
            rename("/sw", "/link");
        }
        _exit(0);
    }
    int decoys = 0, escapes = 0;
    for (int i = 0; i < 400; i++) {
        char buffer[16] = {0};
        int fd = open("/sw/secret", O_RDONLY);
        if (fd < 0) continue;
        read(fd, buffer, sizeof buffer - 1);
        close(fd);
        if (!strcmp(buffer, "decoy\n")) decoys++;
        else escapes++;
    }
    waitpid(child, NULL, 0);
    printf("race: %s\n", escapes ? "escaped" : "contained");
    (void)decoys;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char host_secret[1024];
    snprintf(host_secret, sizeof host_secret, "%s/secret", argv[1]);
    int writing = argc > 2 && !strcmp(argv[2], "write");
    if (argc > 2 && !strcmp(argv[2], "race")) {
        race();
        return 0;
    }

    read_path("inside", "/inside");
    read_path("dotdot from root", "../secret");
    read_path("dotdots from root", "/../../../../secret");
    read_path("host path", host_secret);
    read_path("symlink up", "/up/secret");
    read_path("symlink to slash", "/slash/../secret");
    read_path("symlink to slash inside", "/slash/inside");
    read_path("symlink to host path", "/hostlink");
    read_path("relative symlink chain", "/d/chain");
    read_path("symlink loop", "/loop");
    read_path("proc root", "/proc/self/root/../secret");
    read_path("proc root inside", "/proc/self/root/inside");
    read_path("proc cwd", "/proc/self/cwd/../../secret");
    read_path("proc pid root", "/proc/1/root/secret");
    show_link("readlink proc root", "/proc/self/root");
    show_link("readlink proc cwd", "/proc/self/cwd");
    show_link("readlink slash link", "/slash");

    int dir = open("/d", O_RDONLY | O_DIRECTORY);
    read_at("openat dir fd up", dir, "../../secret");
    read_at("openat dir fd inside", dir, "../inside");
    int up = openat(dir, "../..", O_RDONLY | O_DIRECTORY);
    read_at("openat dir fd of dotdot", up, "secret");
    char fd_path[64];
    snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%d/../../secret", dir);
    read_path("proc fd of dir", fd_path);
    snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%d/../inside", dir);
    read_path("proc fd of dir inside", fd_path);
    read_path("proc fd never opened", "/proc/self/fd/77");
    report("read fd never opened", (int)read(77, fd_path, 1));
    report("fchdir fd never opened", fchdir(78));

    report("chdir d", chdir("/d"));
    for (int i = 0; i < 6; i++) chdir("..");
    show_cwd("cwd after chdir up");
    read_path("relative after chdir up", "secret");
    report("fchdir dir fd", fchdir(dir));
    show_cwd("cwd after fchdir");
    chdir("/");

    struct stat st;
    report("stat outside", stat("/../secret", &st));
    report("lstat host path", lstat(host_secret, &st));
    report("access outside", access("../secret", F_OK));
    struct statvfs vfs;
    report("statfs inside", statvfs("/inside", &vfs));

    if (writing) {
        report("symlink to host path", symlink(host_secret, "/made"));
        read_path("made symlink", "/made");
        report("symlink up made", symlink("../../../..", "/d/madeup"));
        read_path("made symlink up", "/d/madeup/secret");
        report("symlink to slash made", symlink("/", "/madeslash"));
        read_path("made symlink to slash", "/madeslash/../secret");
        int fd = open("/../created", O_CREAT | O_WRONLY, 0644);
        report("create above root", fd);
        if (fd >= 0) write(fd, "created\n", 8), close(fd);
        read_path("created", "/created");
        fd = open("/made", O_CREAT | O_WRONLY, 0644);  /* a dangling symlink: creates its target */
        report("create through symlink to host path", fd);
        if (fd >= 0) write(fd, "through\n", 8), close(fd);
        read_path("created through symlink", host_secret);
        report("hardlink outside", link("../secret", "/hard"));
        report("hardlink inside", link("/inside", "/hard2"));
        report("hardlink of proc exe", linkat(AT_FDCWD, "/proc/self/exe", AT_FDCWD, "/exe",
                                              AT_SYMLINK_FOLLOW));
        report("rename out", rename("/inside2", "/../../moved"));
        read_path("renamed", "/moved");
        report("rename in", rename("/../secret", "/stolen"));
        report("mkdir above", mkdir("../../newdir", 0755));
        report("mkdir above exists", access("/newdir", F_OK));
        report("unlink outside", unlink("/../secret"));
        report("chmod outside", chmod("/../secret", 0777));
        report("truncate outside", truncate("/hostlink", 0));
        report("utimes outside", utimes("/../../secret", NULL));
        report("chmod proc exe", chmod("/proc/self/exe", 0777));
        report("write proc exe", open("/proc/self/exe", O_WRONLY));
        report("execve host shell", execl("/bin/sh", "sh", "-c", "echo escaped", (char *)NULL));
    } else {
        report("create", open("/new", O_CREAT | O_WRONLY, 0644));
        report("create existing read-only", open("/inside", O_CREAT | O_RDONLY, 0644));
        report("open for writing", open("/inside", O_WRONLY));
        report("open for reading and writing", open("/inside", O_RDWR));
        report("truncate on open", open("/inside", O_RDONLY | O_TRUNC));
        report("mkdir", mkdir("/newdir", 0755));
        report("mkdir existing", mkdir("/d", 0755));
        report("rmdir", rmdir("/d"));
        report("unlink", unlink("/inside"));
        report("rename", rename("/inside", "/moved"));
        report("symlink", symlink("/inside", "/newlink"));
        report("link", link("/inside", "/newhard"));
        report("chmod", chmod("/inside", 0600));
        report("chown", chown("/inside", 0, 0));
        report("utimes", utimes("/inside", NULL));
        report("truncate", truncate("/inside", 0));
        int fd = open("/inside", O_RDONLY);
        report("fchmod", fchmod(fd, 0600));
        report("futimes", futimes(fd, NULL));
        report("access for writing", access("/inside", W_OK));
        read_path("still inside", "/inside");
    }
    return 0;
}
