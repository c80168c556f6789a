/* holder.c — test program: maps FILE shared (a hold the shim publishes), says "ready", and keeps
 * the mapping until a line arrives on stdin (or stdin closes). usage: holder FILE */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int fd = open(argv[1], O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0)
        return 1;
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    p[0] = 1;
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    char line[64];
    (void)!fgets(line, sizeof line, stdin);
    munmap(p, 4096);
    return 0;
}
