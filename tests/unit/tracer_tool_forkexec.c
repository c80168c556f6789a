/* tracer_tool_forkexec.c — a parent and its fork child, for the shim's deferred fork-child start
 * (tests/integration/preload_forkstart.sh):
 *     tracer_tool_forkexec MODE [ARG...]
 * forks once; the child does what MODE says, the parent waits for it and prints
 * "child PID status STATUS" (the child's exit status, or 128 + the signal that ended it).
 * Modes (the child's side):
 *   exec PROG [ARG...]        execv(PROG) at once;
 *   unlink-exec FILE PROG...  unlink(FILE), then execv(PROG);
 *   hold-exec PROG...         the parent first maps a private POSIX shared-memory object
 *                             MAP_SHARED (a hold), then forks; the child execv(PROG) at once;
 *   fail-exec PROG            execv(PROG), which fails; then _exit(7);
 *   fork-exec PROG...         forks again at once (before it records anything), then waits for
 *                             its own child, prints "grandchild PID" and _exit(6); that grandchild
 *                             execv(PROG) at once;
 *   exit                      _exit(5) without any other call;
 *   abort                     raise(SIGABRT) without any other call.
 * Exit 0 when the fork and the wait worked (whatever the child did), 1 otherwise. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 1;
    const char *mode = argv[1];
    char shm[64] = "";
    void *m = MAP_FAILED;
    if (!strcmp(mode, "hold-exec")) {
        snprintf(shm, sizeof shm, "/pt-forkexec-%d", (int)getpid());
        int fd = shm_open(shm, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0)
            return 1;
        m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (m == MAP_FAILED)
            return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        if (!strcmp(mode, "exec") || !strcmp(mode, "hold-exec") || !strcmp(mode, "fail-exec")) {
            if (argc >= 3)
                execv(argv[2], argv + 2);
            _exit(7);
        }
        if (!strcmp(mode, "unlink-exec") && argc >= 4) {
            unlink(argv[2]);
            execv(argv[3], argv + 3);
            _exit(7);
        }
        if (!strcmp(mode, "fork-exec") && argc >= 3) {
            pid_t g = fork();
            if (g == 0) {
                execv(argv[2], argv + 2);
                _exit(7);
            }
            int gst;
            if (g < 0 || waitpid(g, &gst, 0) != g)
                _exit(1);
            printf("grandchild %d\n", (int)g);
            fflush(stdout);
            _exit(6);
        }
        if (!strcmp(mode, "abort"))
            raise(SIGABRT);
        _exit(5);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 1;
    if (shm[0]) {
        munmap(m, 4096);
        shm_unlink(shm);
    }
    printf("child %d status %d\n", (int)pid,
           WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}
