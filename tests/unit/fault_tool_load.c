/* fault_tool_load.c — the traced program of the fault scripts: storms, signals inside hooks,
 * closing every descriptor, daemonizing. Every traced call it makes is unlink() of a path that does
 * not exist (ENOENT), so the number of unlink events a trace must hold is known exactly.
 *
 *   fault_tool_load calls K                    K unlinks on one thread
 *   fault_tool_load forks N K                  N children at once, K unlinks each, exit i%200
 *   fault_tool_load threads N K                N threads at once, K unlinks each
 *   fault_tool_load signals K RESULTS          K unlinks while SIGALRM every 50 us runs a handler
 *                                              that unlinks too; handler count into RESULTS
 *   fault_tool_load closefds K RESULTS         close every descriptor, K unlinks, open RESULTS
 *                                              (likely at the ring's old number), fork: the child
 *                                              writes to it, so the parent sees whether the
 *                                              shim closed the program's descriptor in the child
 *   fault_tool_load steps K                    for each line on stdin: K unlinks, then prints
 *                                              "step N" (a service driven by the test)
 *   fault_tool_load daemon K RESULTS           double fork, setsid, close everything, K unlinks,
 *                                              then RESULTS gets "daemon done"
 * stdout is deterministic (the scripts compare it with and without the shim). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define GONE "/nonexistent-proftrace-fault/x"

static int calls(long k)
{
    int bad = 0;
    for (long i = 0; i < k; i++) {
        errno = 0;
        if (unlink(GONE) != -1 || errno != ENOENT)
            bad++; /* the shim must leave result and errno exactly as they were */
    }
    return bad;
}

static void close_all(void)
{
    if (syscall(SYS_close_range, 0u, ~0u, 0u) < 0)
        for (int fd = 0; fd < 65536; fd++)
            close(fd);
}

static volatile sig_atomic_t handled, handler_bad;
static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    errno = 0;
    if (unlink(GONE) != -1 || errno != ENOENT)
        handler_bad = 1;
    handled++;
    errno = saved;
}

struct targ {
    long k;
    int bad;
};
static void *thread_main(void *p)
{
    struct targ *a = p;
    a->bad = calls(a->k);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: see the top of fault_tool_load.c\n");
        return 2;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "calls")) {
        int bad = calls(atol(argv[2]));
        printf("calls %ld bad %d\n", atol(argv[2]), bad);
        return bad ? 1 : 0;
    }
    if (!strcmp(mode, "forks") && argc >= 4) {
        int n = atoi(argv[2]);
        long k = atol(argv[3]);
        pid_t *pids = calloc((size_t)n, sizeof *pids);
        for (int i = 0; i < n; i++) {
            pids[i] = fork();
            if (pids[i] == 0)
                _exit(calls(k) ? 255 : i % 200);
            if (pids[i] < 0) {
                perror("fork");
                return 1;
            }
        }
        long sum = 0;
        for (int i = 0; i < n; i++) {
            int st;
            if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st))
                return 1;
            sum += WEXITSTATUS(st);
        }
        printf("forks %d sum %ld\n", n, sum);
        return 0;
    }
    if (!strcmp(mode, "threads") && argc >= 4) {
        int n = atoi(argv[2]);
        struct targ *a = calloc((size_t)n, sizeof *a);
        pthread_t *t = calloc((size_t)n, sizeof *t);
        for (int i = 0; i < n; i++) {
            a[i].k = atol(argv[3]);
            if (pthread_create(&t[i], NULL, thread_main, &a[i]) != 0)
                return 1;
        }
        int bad = 0;
        for (int i = 0; i < n; i++) {
            pthread_join(t[i], NULL);
            bad += a[i].bad;
        }
        printf("threads %d bad %d\n", n, bad);
        return bad ? 1 : 0;
    }
    if (!strcmp(mode, "signals") && argc >= 4) {
        struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval it = {{0, 50}, {0, 50}};
        setitimer(ITIMER_REAL, &it, NULL);
        int bad = calls(atol(argv[2]));
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
        FILE *f = fopen(argv[3], "w");
        if (!f)
            return 1;
        fprintf(f, "%d\n", (int)handled);
        fclose(f);
        printf("signals: main bad %d, handler bad %d, handler ran: %s\n", bad, (int)handler_bad,
               handled > 0 ? "yes" : "no");
        return bad || handler_bad ? 1 : 0;
    }
    if (!strcmp(mode, "closefds") && argc >= 4) {
        fflush(stdout);
        int out = dup(1);
        close_all();
        int bad = calls(atol(argv[2]));
        /* Descriptors 0..31 become the program's own again, one of them the ring's old number. */
        int fds[32];
        fds[0] = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644); /* lowest free: 0 */
        for (int i = 1; i < 32; i++)
            fds[i] = open(argv[3], O_WRONLY | O_APPEND);
        int fd4 = fds[31];
        (void)out;
        pid_t p = fork();
        if (p == 0) {
            /* After the shim made its own ring here, each of the program's descriptors must
             * still be open and still name the results file. */
            int ok = 1;
            struct stat want, got;
            if (stat(argv[3], &want) < 0)
                ok = 0;
            for (int i = 0; i < 32 && ok; i++)
                if (fds[i] < 0 || fstat(fds[i], &got) < 0 || got.st_ino != want.st_ino ||
                    got.st_dev != want.st_dev)
                    ok = 0;
            dprintf(fd4, "child fds %s\n", ok ? "intact" : "LOST");
            calls(5);
            _exit(0);
        }
        int st;
        waitpid(p, &st, 0);
        dprintf(fd4, "parent bad %d child exit %d\n", bad, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return bad ? 1 : 0;
    }
    if (!strcmp(mode, "steps")) {
        char line[256];
        int n = 0, bad = 0;
        while (fgets(line, sizeof line, stdin)) {
            bad += calls(atol(argv[2]));
            printf("step %d bad %d\n", ++n, bad);
            fflush(stdout);
        }
        return bad ? 1 : 0;
    }
    if (!strcmp(mode, "daemon") && argc >= 4) {
        printf("daemon: starting\n");
        fflush(stdout);
        pid_t p = fork();
        if (p < 0)
            return 1;
        if (p > 0) {
            int st;
            waitpid(p, &st, 0); /* the middle process exits at once */
            return 0;
        }
        setsid();
        if (fork() != 0)
            _exit(0);
        if (chdir("/") != 0)
            _exit(1);
        close_all();
        int bad = calls(atol(argv[2]));
        int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dprintf(fd, "daemon done bad %d\n", bad);
        close(fd);
        _exit(0);
    }
    fprintf(stderr, "fault_tool_load: unknown mode %s\n", mode);
    return 2;
}
