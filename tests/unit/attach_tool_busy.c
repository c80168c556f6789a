/* attach_tool_busy.c — a multi-threaded program busy in traced calls, for the attach tests.
 *
 *   attach_tool_busy THREADS ITERS COUNTER_FILE NAME
 *
 * Every thread loops on POSIX shared memory (shm_open, ftruncate, mmap, a pattern written, mmap
 * again and read back, munmap, close, shm_unlink) and a failing unlink (errno must be ENOENT
 * after it), and adds one to a counter in COUNTER_FILE (mapped: tests watch it advance). Phases,
 * driven by stdin so a test knows where the program is without timing it:
 *   A  until the first line: any number of iterations;
 *   B  exactly ITERS iterations each, whose results make a checksum; the main thread forks a
 *      child that makes traced calls of its own and exits; "phase B done" once all are through;
 *   C  until end of input.
 * Prints "ready" once the threads run, "phase B done", then one line per thread (its phase B
 * checksum and its errors in every phase) and "done"; exit status 0 when nothing went wrong. The
 * output depends on nothing but THREADS and ITERS: traced, attached or not, it must be the same.
 * NAME keeps the shared-memory names of concurrent runs apart. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int nthreads, iters;
static const char *name;
static _Atomic uint64_t *counter;
static _Atomic int phase; /* 0 A, 1 B, 2 C, 3 stop */
static pthread_barrier_t b_start, b_end;

struct result {
    uint64_t checksum;
    unsigned errors;
};

/* One iteration; its value (deterministic in i and t) or 0 after counting an error. */
static uint64_t one(int t, uint64_t i, unsigned *errors)
{
    char shm[128];
    snprintf(shm, sizeof shm, "/%s.%d", name, t);
    uint64_t want = (i + 1) * 2654435761ull ^ (uint64_t)t << 40, got = 0;
    int fd = shm_open(shm, O_CREAT | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0) {
        (*errors)++;
        if (fd >= 0)
            close(fd);
        return 0;
    }
    uint64_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
        p[i % 512] = want;
        munmap(p, 4096);
    }
    p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
        got = p[i % 512];
        munmap(p, 4096);
    }
    close(fd);
    if (shm_unlink(shm) < 0 || got != want)
        (*errors)++;
    char missing[160];
    snprintf(missing, sizeof missing, "/nonexistent-%s/%d", name, t);
    errno = 0;
    if (unlink(missing) != -1 || errno != ENOENT) /* the shim must leave errno alone */
        (*errors)++;
    atomic_fetch_add(counter, 1);
    return got;
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    struct result *r = calloc(1, sizeof *r);
    uint64_t i = 0;
    while (atomic_load(&phase) == 0)
        one(t, i++, &r->errors);
    pthread_barrier_wait(&b_start);
    for (int k = 0; k < iters; k++)
        r->checksum = r->checksum * 31 + one(t, (uint64_t)k, &r->errors);
    pthread_barrier_wait(&b_end);
    while (atomic_load(&phase) < 3)
        one(t, i++, &r->errors);
    return r;
}

static int child_calls(void)
{
    unsigned errors = 0;
    for (int k = 0; k < 10; k++)
        one(nthreads, (uint64_t)k, &errors);
    return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: attach_tool_busy THREADS ITERS COUNTER_FILE NAME\n");
        return 2;
    }
    nthreads = atoi(argv[1]);
    iters = atoi(argv[2]);
    name = argv[4];
    int cfd = open(argv[3], O_RDWR | O_CREAT, 0600);
    if (cfd < 0 || ftruncate(cfd, 4096) < 0)
        return 2;
    counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
    close(cfd);
    if (counter == MAP_FAILED || nthreads < 1 || nthreads > 256)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_barrier_init(&b_start, NULL, (unsigned)nthreads + 1);
    pthread_barrier_init(&b_end, NULL, (unsigned)nthreads + 1);
    pthread_t th[256];
    for (int t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    printf("ready\n");
    char line[256];
    if (!fgets(line, sizeof line, stdin)) /* phase A until the first line */
        line[0] = 0;
    atomic_store(&phase, 1);
    pthread_barrier_wait(&b_start);
    pid_t child = fork(); /* a child of its own, forked while the threads are busy */
    if (child == 0)
        _exit(child_calls());
    int cst = -1;
    waitpid(child, &cst, 0);
    pthread_barrier_wait(&b_end);
    atomic_store(&phase, 2);
    printf("phase B done\n");
    while (fgets(line, sizeof line, stdin)) /* phase C until end of input */
        ;
    atomic_store(&phase, 3);
    unsigned errors = WIFEXITED(cst) && WEXITSTATUS(cst) == 0 ? 0 : 1;
    if (errors)
        printf("child: failed (status %#x)\n", cst);
    for (int t = 0; t < nthreads; t++) {
        struct result *r;
        pthread_join(th[t], (void **)&r);
        printf("thread %d: phase B checksum %016llx, errors %u\n", t,
               (unsigned long long)r->checksum, r->errors);
        errors += r->errors;
        free(r);
    }
    printf("done\n");
    return errors ? 1 : 0;
}
