/* tracer_tool_life.c — a plain program for the shim's life-cycle tests (tests/integration/
 * preload_life.sh): which descriptor numbers it gets, closing every descriptor and forking, exiting
 * with other threads alive, and its pid as it sees it. Prints what it saw; exit 0 when all was as
 * an untraced program would see it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* `fds NAME`: the numbers open() and shm_open() return right after start. */
static int fds(const char *shm_name)
{
    int a = open("/dev/null", O_RDONLY);
    int b = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
    printf("open %d shm_open %d\n", a, b);
    if (b >= 0)
        shm_unlink(shm_name);
    return a < 0 || b < 0;
}

/* Is fd open on the file of st? */
static int same_file(int fd, const struct stat *st)
{
    struct stat now;
    return fstat(fd, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/* `closeall-fork FILE`: close every descriptor above 2, open FILE and put it on every number that
 * was open before (so whatever the shim had is now the program's file), then fork: each of those
 * must stay open on FILE in the child and in the parent. */
static int closeall_fork(const char *file)
{
    int old[256], nold = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 2;
    int dfd = dirfd(d);
    for (struct dirent *de; (de = readdir(d));) {
        int fd = atoi(de->d_name);
        if (de->d_name[0] != '.' && fd > 2 && fd != dfd && nold < 256)
            old[nold++] = fd;
    }
    closedir(d);
    if (close_range(3, ~0U, 0) < 0)
        return 2;
    int fd = open(file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return 2;
    old[nold++] = fd;
    for (int i = 0; i < nold; i++)
        if (old[i] != fd && dup2(fd, old[i]) < 0)
            return 2;
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    int bad = 0;
    for (int i = 0; i < nold; i++)
        if (!same_file(old[i], &st)) {
            printf("%s: descriptor %d no longer open on %s\n", pid ? "parent" : "child", old[i],
                   file);
            bad = 1;
        }
    if (pid == 0)
        _exit(bad);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        bad = 1;
    printf("%d descriptors (first %d): %s\n", nold, fd, bad ? "CLOSED" : "kept");
    return bad;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

/* `threads N`: exit normally (return from main) while N other threads are alive. */
static int threads(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, sleeper, NULL))
            return 2;
    }
    int fd = open("/dev/null", O_RDONLY); /* a call or two of the main thread */
    close(fd);
    printf("exiting with %d other threads\n", n);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "fds"))
        return fds(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "closeall-fork"))
        return closeall_fork(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "threads"))
        return threads(atoi(argv[2]));
    if (argc == 2 && !strcmp(argv[1], "pid")) {
        printf("%d\n", (int)getpid());
        return 0;
    }
    fprintf(stderr, "usage: %s fds SHM | closeall-fork FILE | threads N | pid\n", argv[0]);
    return 2;
}
