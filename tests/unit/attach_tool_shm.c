/* attach_tool_shm.c — a POSIX shared-memory holder for the attach tests, started without the
 * shim: creates NAME, maps it shared (descriptor closed), keeps directory DIR open (where a test
 * can delete a probe the collector's witness must see), prints "holding", waits for a line on
 * stdin, then opens NAME again and prints "reopen: ok" or "reopen: <error>". Exit status 0.
 *   attach_tool_shm NAME DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: attach_tool_shm NAME DIR\n");
        return 2;
    }
    if (open(argv[2], O_RDONLY | O_DIRECTORY) < 0) { /* kept open */
        perror("attach_tool_shm: DIR");
        return 2;
    }
    int fd = shm_open(argv[1], O_CREAT | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0) {
        perror("attach_tool_shm: shm_open");
        return 2;
    }
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return 2;
    strcpy(p, "in use");
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("holding\n");
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        line[0] = 0;
    fd = shm_open(argv[1], O_RDWR, 0);
    if (fd >= 0) {
        printf("reopen: ok\n");
        close(fd);
    } else {
        printf("reopen: %s\n", strerror(errno));
    }
    return 0;
}
