/* crasher.c — test program: makes traced calls (POSIX shm, a file delete), then faults on a NULL
 * write, so a test gets a real SIGSEGV core of a traced process. argv[1]: a unique shm name,
 * argv[2]: a file to create and unlink. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int fd = shm_open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0)
        return 1;
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    p[0] = 1;
    shm_unlink(argv[1]);
    int f = open(argv[2], O_WRONLY | O_CREAT, 0600);
    if (f >= 0)
        close(f);
    unlink(argv[2]);
    fflush(stdout);
    volatile uintptr_t bad = 0;  /* opaque to the compiler, so the store below is really made */
    *(volatile int *)bad = p[0]; /* the crash */
    return 0;
}
