/* attach_target.c — the process `bench/attach.bench.sh` attaches to: THREADS threads each making a
 * traced call (unlink of a missing file) every millisecond and noting the longest gap between two
 * of its calls, and FILES files of DIR mapped shared. Commands on stdin, one answer line each:
 *   measure N   N traced calls in a row on the main thread: "ns/call <median of 5>"
 *   gap         the longest gap any thread saw since the last `gap`: "gap_ms <ms>"
 * End of input ends it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint64_t max_gap_ns;
static _Atomic int stop;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *worker(void *arg)
{
    (void)arg;
    struct timespec ms = {0, 1000000};
    uint64_t last = now_ns();
    while (!atomic_load(&stop)) {
        unlink("/nonexistent/attach-bench");
        uint64_t t = now_ns(), gap = t - last, cur = atomic_load(&max_gap_ns);
        while (gap > cur && !atomic_compare_exchange_weak(&max_gap_ns, &cur, gap))
            ;
        last = t;
        nanosleep(&ms, NULL);
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: attach_target THREADS FILES DIR\n");
        return 2;
    }
    int nthreads = atoi(argv[1]), nfiles = atoi(argv[2]);
    for (int i = 0; i < nfiles; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/f%d", argv[3], i);
        int fd = open(path, O_RDWR | O_CREAT, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0 ||
            mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED)
            return 2;
        close(fd);
    }
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    char line[128];
    while (fgets(line, sizeof line, stdin)) {
        long n;
        if (sscanf(line, "measure %ld", &n) == 1) {
            double runs[5];
            for (int r = 0; r < 5; r++) {
                uint64_t t0 = now_ns();
                for (long k = 0; k < n; k++)
                    unlink("/nonexistent/attach-bench");
                runs[r] = (double)(now_ns() - t0) / (double)n;
            }
            qsort(runs, 5, sizeof runs[0], cmp);
            printf("ns/call %.1f\n", runs[2]);
        } else if (!strncmp(line, "gap", 3)) {
            printf("gap_ms %.3f\n", (double)atomic_exchange(&max_gap_ns, 0) / 1e6);
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    return 0;
}
