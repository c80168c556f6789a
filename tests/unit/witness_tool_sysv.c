/* witness_tool_sysv.c — a traced holder of SysV shared memory for witness_e2e_sysv.sh: creates a
 * private segment and attaches it (shmat, traced by the shim), keeps DIR open (the witness watches
 * it: the test's handshake), prints the shmid, waits for a line on stdin, checks the attachment
 * still reads back and exits 0. Not a test by itself.
 * usage: witness_tool_sysv DIR */
#include <fcntl.h>
#include <stdio.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    char *p = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
    if (dir < 0 || p == (char *)-1) {
        perror("witness_tool_sysv");
        return 1;
    }
    p[0] = 42;
    printf("%d\n", id);
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    printf("attached: %d\n", p[0]); /* still mapped: removal only frees it at the last detach */
    return p[0] == 42 ? 0 : 1;
}
