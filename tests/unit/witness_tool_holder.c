/* witness_tool_holder.c — a traced process for the witness's integration tests: holds a registry
 * key (an open directory) and a POSIX shared-memory object (mapped, descriptor closed), then writes
 * a ring in $PROFTRACE_DIR as the shim would, writes its pid to READY, and on SIGTERM checks that
 * its mapping still reads back and exits. Not a test by itself.
 *
 * It has no shim, so no holds table: the witness learns what it holds only from /proc, when the
 * collector attaches its ring and once a second after. The holds come before the ring so that the
 * first look sees both: a test that sees the key watched knows the mapping is known too (with the
 * ring first, that look could fall between the two, and the mapping stay unknown for a second).
 * usage: witness_tool_holder SHM-PATH KEY-DIR READY-FILE */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "tests/unit/tracer_test.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: witness_tool_holder SHM-PATH KEY-DIR READY-FILE\n");
        return 2;
    }
    const char *dir = getenv("PROFTRACE_DIR");
    if (!dir) {
        fprintf(stderr, "witness_tool_holder: no PROFTRACE_DIR\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    int key = open(argv[2], O_RDONLY | O_DIRECTORY);
    int fd = open(argv[1], O_CREAT | O_RDWR, 0600);
    if (key < 0 || fd < 0 || ftruncate(fd, 4096) < 0) {
        perror("witness_tool_holder");
        return 2;
    }
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 2;
    close(fd);
    strcpy(p, "held");
    struct pt_ring *ring = NULL;
    struct pt_ring_config cfg = {.dir = dir, .nthreads = 1};
    if (pt_ring_create(&cfg, &ring) < 0) {
        fprintf(stderr, "witness_tool_holder: no ring in PROFTRACE_DIR\n");
        return 2;
    }
    struct pt_tbuf *b = pt_ring_claim(ring, (uint32_t)syscall(SYS_gettid));
    FILE *r = fopen(argv[3], "w");
    if (!r)
        return 2;
    fprintf(r, "%d\n", (int)getpid());
    fclose(r);
    while (!stop)
        pause();
    int ok = !strcmp(p, "held");
    pt_ring_release(ring, b);
    pt_ring_close(ring);
    return ok ? 0 : 1;
}
