/* Directories and file metadata: mkdir, readdir, stat, truncate, chmod, links, utimes. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <utime.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) { perror("opendir"); exit(1); }
    char *names[64];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < 64) {
        char line[300];
        snprintf(line, sizeof line, "%s%s", entry->d_name,
                 entry->d_type == DT_DIR ? "/" : entry->d_type == DT_LNK ? "@" : "");
        names[count++] = strdup(line);
    }
    closedir(dir);
    qsort(names, count, sizeof *names, by_name);
    printf("%s:", path);
    for (int i = 0; i < count; i++) printf(" %s", names[i]);
    printf("\n");
}

int main(void) {
    if (mkdir("tree", 0755) || mkdir("tree/sub", 0700)) { perror("mkdir"); return 1; }
    for (int i = 0; i < 40; i++) {
        char name[64];
        snprintf(name, sizeof name, "tree/file-with-a-longer-name-%02d.txt", i);
        FILE *f = fopen(name, "w");
        fprintf(f, "%d\n", i * i);
        fclose(f);
    }
    if (symlink("file-with-a-longer-name-00.txt", "tree/link")) perror("symlink");
    if (link("tree/file-with-a-longer-name-01.txt", "tree/hard")) perror("link");
    list("tree");
    list("tree/sub");

    int fd = open("tree/file-with-a-longer-name-02.txt", O_RDWR);
    if (ftruncate(fd, 100) || fsync(fd) || fdatasync(fd)) perror("ftruncate/fsync");
    struct stat st;
    fstat(fd, &st);
    printf("after ftruncate: size %lld\n", (long long)st.st_size);
    close(fd);
    truncate("tree/file-with-a-longer-name-03.txt", 1);
    stat("tree/file-with-a-longer-name-03.txt", &st);
    printf("after truncate: size %lld\n", (long long)st.st_size);
    chmod("tree/file-with-a-longer-name-04.txt", 0600);
    stat("tree/file-with-a-longer-name-04.txt", &st);
    printf("mode %o nlink of hard %d\n", st.st_mode & 07777, (int)(lstat("tree/hard", &st), st.st_nlink));
    lstat("tree/link", &st);
    printf("link is a symlink: %d\n", S_ISLNK(st.st_mode));
    struct utimbuf times = {1000000000, 1234567890};
    utime("tree/file-with-a-longer-name-05.txt", &times);
    stat("tree/file-with-a-longer-name-05.txt", &st);
    printf("mtime %lld atime %lld\n", (long long)st.st_mtime, (long long)st.st_atime);
    struct statvfs vfs;
    printf("statvfs ok: %d\n", statvfs(".", &vfs) == 0 && vfs.f_bsize > 0);
    chdir("tree/sub");
    int dirfd = open("..", O_RDONLY | O_DIRECTORY);
    fchdir(dirfd);
    char cwd[4096];
    printf("back in tree: %s\n", strstr(getcwd(cwd, sizeof cwd), "/tree") ? "yes" : "no");
    close(dirfd);
    chdir("..");
    for (int i = 0; i < 40; i++) {
        char name[64];
        snprintf(name, sizeof name, "tree/file-with-a-longer-name-%02d.txt", i);
        unlink(name);
    }
    unlink("tree/link");
    unlink("tree/hard");
    rmdir("tree/sub");
    list("tree");
    printf("rmdir tree: %d\n", rmdir("tree"));
    return 0;
}
