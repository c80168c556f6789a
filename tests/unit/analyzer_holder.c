/* analyzer_holder.c — a process that maps a POSIX shared-memory object and holds it, for the
 * analyzer's deleted-while-held integration test:
 *     analyzer_holder NAME [--unmap-first]
 * creates NAME, maps it shared, prints "holding", waits for end of input; then (with
 * --unmap-first, unmaps before saying "holding") reopens NAME by name — which fails with ENOENT
 * if someone removed it — prints what happened and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int unmap_first = argc > 2 && !strcmp(argv[2], "--unmap-first");
    int fd = shm_open(argv[1], O_CREAT | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0) {
        perror("analyzer_holder: shm_open");
        return 1;
    }
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        perror("analyzer_holder: mmap");
        return 1;
    }
    close(fd);
    p[0] = 1;
    if (unmap_first)
        munmap(p, 4096);
    printf("holding\n");
    fflush(stdout);
    char buf[64];
    while (fgets(buf, sizeof buf, stdin))
        ;
    int again = shm_open(argv[1], O_RDWR, 0);
    printf("reopen: %s\n", again < 0 ? strerror(errno) : "ok");
    if (again >= 0) {
        close(again);
        shm_unlink(argv[1]);
    }
    if (!unmap_first)
        munmap(p, 4096);
    return 0;
}
