/* debug_holds.c — what PROFTRACE_BREAK's holds table costs a traced process: median ns of one
 * operation, for the operations that publish or consult a hold. Run under the shim with and
 * without PROFTRACE_HOLDS=0 (bench/debug.bench.sh). Modes:
 *   key     RegOpenKeyExA + RegCloseKey of one key (publish + withdraw a key hold)
 *   map     mmap(MAP_SHARED) + munmap of a 4 KiB file (publish + withdraw a mapping hold)
 *   unlink  create + unlink a file nobody holds (with PROFTRACE_BREAK: one window lookup)
 * usage: debug_holds MODE DIR N RUNS */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <windows.h>

static uint64_t now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    const char *mode = argv[1], *dir = argv[2];
    long n = atol(argv[3]), runs = atol(argv[4]);
    char path[4096];
    double *r = calloc((size_t)runs, sizeof *r);
    HKEY root = NULL;
    int fd = -1;
    if (!strcmp(mode, "key")) {
        if (RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\ptbench", 0, NULL, 0, KEY_ALL_ACCESS,
                            NULL, &root, NULL) != ERROR_SUCCESS)
            return 1;
    } else if (!strcmp(mode, "map")) {
        snprintf(path, sizeof path, "%s/map", dir);
        fd = open(path, O_RDWR | O_CREAT, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0)
            return 1;
    }
    for (long k = 0; k < runs; k++) {
        uint64_t t0 = now();
        for (long i = 0; i < n; i++) {
            if (!strcmp(mode, "key")) {
                HKEY h;
                if (RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\ptbench", 0, KEY_READ, &h) == 0)
                    RegCloseKey(h);
            } else if (!strcmp(mode, "map")) {
                void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
                if (p != MAP_FAILED)
                    munmap(p, 4096);
            } else {
                snprintf(path, sizeof path, "%s/u%ld", dir, i & 7);
                close(open(path, O_WRONLY | O_CREAT, 0600));
                unlink(path);
            }
        }
        r[k] = (double)(now() - t0) / (double)n;
    }
    qsort(r, (size_t)runs, sizeof *r, cmp);
    printf("%.1f\n", r[runs / 2]);
    if (root)
        RegCloseKey(root);
    return 0;
}
