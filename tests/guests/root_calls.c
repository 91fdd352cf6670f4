/* The calls beyond open/stat that name paths, run under --root: socket addresses, inotify,
 * extended attributes, openat2, open_by_handle_at, mkfifo, faccessat2, and the emulated
 * /proc's directories.
 * One line per attempt: "what: ok", the errno name, or what was read or listed. argv[1] is
 * the host directory holding the root (and "secret" and the listening "outside.sock" next
 * to it); argv[2] "ro" when the root is read-only. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

static void result(const char *what, long value) {
    printf("%s: %s\n", what, value < 0 ? strerrorname_np(errno) : "ok");
}

static long unix_socket(const char *path, int binds) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (binds)
        return bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ? -1 : listen(fd, 1);
    return connect(fd, (struct sockaddr *)&address, sizeof address);
}

static void list(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) {
        printf("list %s: %s\n", path, strerrorname_np(errno));
        return;
    }
    char names[64][32];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < 64)
        snprintf(names[count++], sizeof names[0], "%s", entry->d_name);
    closedir(dir);
    qsort(names, count, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    printf("list %s:", path);
    for (int i = 0; i < count; i++)  /* the process id as PID: it differs between runs */
        printf(" %s", atoi(names[i]) == getpid() ? "PID" : names[i]);
    printf("\n");
}

static long open2(const char *path, unsigned long long resolve) {
    struct open_how how = {.flags = O_RDONLY, .resolve = resolve};
    long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd >= 0) close(fd);
    return fd;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int read_only = argc > 2 && !strcmp(argv[2], "ro");
    char outside[512], secret[512];
    snprintf(outside, sizeof outside, "%s/outside.sock", argv[1]);
    snprintf(secret, sizeof secret, "%s/secret", argv[1]);

    list("/proc/self/fd");  /* the guest's 0, 1, 2 and the directory's own 3 */
    list("/proc/self/..");  /* /proc: its emulated entries */
    list("/proc/self");

    result("bind inside", unix_socket("/made.sock", 1));
    result("bind through dotdot", unix_socket("/d/../../../dotdot.sock", 1));
    result("connect inside", unix_socket("/made.sock", 0));
    result("connect host path", unix_socket(outside, 0));
    result("connect symlink out", unix_socket("/sockout", 0));

    int watcher = inotify_init1(IN_CLOEXEC);
    result("inotify inside", inotify_add_watch(watcher, "/inside", IN_MODIFY));
    result("inotify host path", inotify_add_watch(watcher, secret, IN_MODIFY));
    result("inotify symlink out", inotify_add_watch(watcher, "/hostlink", IN_MODIFY));
    result("inotify symlink itself", inotify_add_watch(watcher, "/hostlink",
                                                        IN_MODIFY | IN_DONT_FOLLOW));

    char value[16];
    result("getxattr host path", getxattr(secret, "user.x", value, sizeof value));
    result("getxattr symlink out", getxattr("/hostlink", "user.x", value, sizeof value));
    result("listxattr host path", listxattr(secret, value, sizeof value));
    if (read_only) {
        result("setxattr", setxattr("/inside", "user.x", "1", 1, 0));
        result("removexattr", removexattr("/inside", "user.x"));
    }

    result("openat2 beneath up", open2("../secret", RESOLVE_BENEATH));
    result("openat2 in root up", open2("/../secret", RESOLVE_IN_ROOT));
    result("openat2 no symlinks inside", open2("/inside", RESOLVE_NO_SYMLINKS));
    result("openat2 no symlinks out", open2("/hostlink", RESOLVE_NO_SYMLINKS));
    result("openat2 no magic links up", open2("/d/../../secret", RESOLVE_NO_MAGICLINKS));
    result("openat2 host path", open2(secret, RESOLVE_NO_XDEV));

    struct { unsigned int bytes; int type; unsigned char data[128]; } handle = {128, 0, {0}};
    result("open_by_handle_at", open_by_handle_at(AT_FDCWD, (struct file_handle *)&handle,
                                                  O_RDONLY));
    result("mkfifo", mkfifo("/fifo", 0600));
    result("mkfifo above", mkfifo("/../../fifo2", 0600));
    result("faccessat2 inside", faccessat(AT_FDCWD, "/inside", R_OK, AT_EACCESS));
    result("faccessat2 symlink out", faccessat(AT_FDCWD, "/hostlink", R_OK, AT_EACCESS));
    result("faccessat2 host path", faccessat(AT_FDCWD, secret, R_OK, AT_EACCESS));
    return 0;
}
