/* fault_tool_forkstorm.c — the traced program of fault_fork_unwind.sh: forks while other threads
 * take stacks all the time, the shape in which a fork child used to hang forever on the dynamic
 * loader's lock (an unwinding thread of the parent held it at the fork; glibc does not reset it).
 *
 *   fault_tool_forkstorm FORKS THREADS
 *
 * THREADS threads make failing unlink() calls in a loop (a failed call gets a stack by default).
 * The main thread forks FORKS times; each child makes a failing unlink() (a stack, in the child),
 * walks the loaded objects itself with dl_iterate_phdr (the loader's lock: what an untraced child
 * may do freely), and exits with 0 when both went as expected. The parent waits for each child on
 * a pidfd, with a bound: a child that has not ended after 60 s is hung, is killed and counted.
 * stdout: "forks N hung H failed F"; exit status 0 when H and F are 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define GONE "/nonexistent-proftrace-forkstorm/x"
#define HANG_MS 60000

static atomic_int stop;

static void *unwinder(void *p)
{
    (void)p;
    while (!atomic_load(&stop)) {
        errno = 0;
        if (unlink(GONE) != -1 || errno != ENOENT)
            abort();
    }
    return NULL;
}

static int count_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info, (void)size;
    ++*(int *)arg;
    return 0;
}

static void child(void)
{
    errno = 0;
    if (unlink(GONE) != -1 || errno != ENOENT)
        _exit(2);
    int n = 0;
    dl_iterate_phdr(count_cb, &n);
    _exit(n > 0 ? 0 : 3);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fault_tool_forkstorm FORKS THREADS\n");
        return 2;
    }
    int forks = atoi(argv[1]), nthreads = atoi(argv[2]), hung = 0, failed = 0;
    pthread_t t[64];
    if (nthreads > 64)
        nthreads = 64;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, unwinder, NULL) != 0)
            return 1;
    for (int i = 0; i < forks; i++) {
        pid_t c = fork();
        if (c == 0)
            child();
        if (c < 0) {
            failed++;
            continue;
        }
        int pfd = (int)syscall(SYS_pidfd_open, c, 0);
        struct pollfd p = {pfd, POLLIN, 0};
        if (pfd >= 0 && poll(&p, 1, HANG_MS) == 0) {
            fprintf(stderr, "fork %d: child %d has not ended after %d s: hung\n", i, (int)c,
                    HANG_MS / 1000);
            hung++;
            kill(c, SIGKILL);
        }
        if (pfd >= 0)
            close(pfd);
        int st;
        if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    printf("forks %d hung %d failed %d\n", forks, hung, failed - hung);
    return hung || failed ? 1 : 0;
}
