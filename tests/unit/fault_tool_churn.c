/* fault_tool_churn.c — the traced program of fault_thread_churn.sh: many short-lived threads making
 * traced calls at every stage of their life while other threads fork, the shape of a long run of a
 * many-threaded service (CPython's test_multiprocessing_forkserver) that once left damaged records.
 *
 *   fault_tool_churn SECONDS RESULTS
 *
 * For SECONDS, waves of worker threads each make a few unlink() calls of a path that does not exist
 * (ENOENT), then end in one of three ways — returning, pthread_exit() from a nested function, or
 * detached — and a pthread key destructor (a key created after the shim's, so it runs after the
 * shim gave the thread's buffer back) makes more unlinks and sets its key again once, so it runs
 * in a second destructor round too. Meanwhile two threads fork in a loop; each child makes
 * CHILD_CALLS unlinks and _exits. RESULTS gets "calls N children M": the unlinks made by this
 * process and the number of children (each made CHILD_CALLS), so a test can check that recorded +
 * lost equals made. stdout is deterministic. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GONE "/nonexistent-proftrace-churn/x"
#define CHILD_CALLS 3
#define WAVE 16

static atomic_long ncalls, nchildren, nbad;
static atomic_int stop;
static pthread_key_t key;

static void one_call(void)
{
    errno = 0;
    if (unlink(GONE) != -1 || errno != ENOENT)
        atomic_fetch_add(&nbad, 1);
    atomic_fetch_add(&ncalls, 1);
}

/* Runs after the shim's own destructor (its key is older): the thread's buffer is already back. */
static void key_dtor(void *v)
{
    one_call();
    one_call();
    if ((uintptr_t)v == 1)
        pthread_setspecific(key, (void *)2); /* once more, in the next destructor round */
}

static void nested_exit(void)
{
    one_call();
    pthread_exit(NULL);
}

static void *worker(void *p)
{
    uintptr_t how = (uintptr_t)p;
    pthread_setspecific(key, (void *)1);
    for (int i = 0; i < 4; i++)
        one_call();
    if (how % 3 == 1)
        nested_exit();
    return NULL;
}

static void *forker(void *p)
{
    (void)p;
    while (!atomic_load(&stop)) {
        pid_t c = fork();
        if (c == 0) {
            for (int i = 0; i < CHILD_CALLS; i++) {
                errno = 0;
                if (unlink(GONE) != -1 || errno != ENOENT)
                    _exit(1);
            }
            _exit(0);
        }
        if (c < 0)
            continue;
        int st;
        if (waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            atomic_fetch_add(&nchildren, 1);
        else
            atomic_fetch_add(&nbad, 1);
    }
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fault_tool_churn SECONDS RESULTS\n");
        return 2;
    }
    double end = now() + atof(argv[1]);
    if (pthread_key_create(&key, key_dtor) != 0)
        return 1;
    pthread_t fk[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&fk[i], NULL, forker, NULL) != 0)
            return 1;
    pthread_attr_t det;
    pthread_attr_init(&det);
    pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
    atomic_long detached_started = 0;
    unsigned long n = 0;
    while (now() < end) {
        pthread_t t[WAVE];
        int joinable[WAVE];
        for (int i = 0; i < WAVE; i++, n++) {
            joinable[i] = n % 3 != 2;
            if (pthread_create(&t[i], joinable[i] ? NULL : &det, worker, (void *)(uintptr_t)n) != 0)
                joinable[i] = 0;
            else if (!joinable[i])
                detached_started++;
        }
        for (int i = 0; i < WAVE; i++)
            if (joinable[i])
                pthread_join(t[i], NULL);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(fk[i], NULL);
    /* Detached workers: wait until every one has made all its calls (4 + 2 * 2 each at most; a
     * worker is done when ncalls stops moving and no thread but this one is left). */
    for (int quiet = 0; quiet < 50;) {
        long before = atomic_load(&ncalls);
        usleep(2000);
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        int threads = 0;
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Threads:", 8))
                threads = atoi(line + 8);
        if (f)
            fclose(f);
        quiet = (threads == 1 && atomic_load(&ncalls) == before) ? quiet + 1 : 0;
    }
    FILE *r = fopen(argv[2], "w");
    if (!r)
        return 1;
    fprintf(r, "calls %ld children %ld\n", atomic_load(&ncalls), atomic_load(&nchildren));
    fclose(r);
    printf("churn: bad %ld, workers ran: %s\n", atomic_load(&nbad), n > 0 ? "yes" : "no");
    return atomic_load(&nbad) ? 1 : 0;
}
