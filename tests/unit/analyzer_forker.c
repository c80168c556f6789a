/* analyzer_forker.c — a parent whose fork child inherits its shared memory, for
 * analyzer_e2e_inherit.sh:
 *     analyzer_forker NAME DIR [--parent-deletes]
 * creates the POSIX shared-memory object NAME and maps it MAP_SHARED, creates a private SysV
 * segment and attaches it, then forks a child that keeps both only as it inherited them (no call
 * of its own maps or attaches them) and opens DIR (the test's handshake with the witness: a probe
 * deleted in DIR is witnessed once the witness has read the child's /proc, its mappings with its
 * descriptors). Once the child runs, the parent unmaps, detaches and closes what it had and
 * prints "child PID ID PARENT" (the child's pid, the shmid, its own pid): from then on only the
 * child holds them. With --parent-deletes the parent then removes both itself (shm_unlink, shmctl
 * IPC_RMID) and prints "removed". At end of input the child reopens NAME by name (a victim's
 * failing shm_open when it was removed), checks that its mapping and attachment still read back,
 * and prints what happened; the parent waits for it and exits 0 when both still read back. Not a
 * test by itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(const char *name, int go, volatile char *m, volatile char *s)
{
    char c;
    while (read(go, &c, 1) > 0) /* until the parent closes it */
        ;
    int fd = shm_open(name, O_RDWR, 0);
    printf("reopen: %s\n", fd < 0 ? strerror(errno) : "ok");
    int ok = m[0] == 42 && s[0] == 43;
    printf("child kept both: %s\n", ok ? "yes" : "no");
    fflush(stdout);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (argc == 4 && strcmp(argv[3], "--parent-deletes")) || argc > 4)
        return 2;
    const char *name = argv[1];
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0) {
        perror("analyzer_forker: shm_open");
        return 1;
    }
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    char *s = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
    int ready[2], go[2];
    if (m == MAP_FAILED || s == (char *)-1 || pipe(ready) < 0 || pipe(go) < 0) {
        perror("analyzer_forker: mmap/shmat");
        if (id >= 0)
            shmctl(id, IPC_RMID, NULL);
        shm_unlink(name);
        return 1;
    }
    m[0] = 42;
    s[0] = 43;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("analyzer_forker: fork");
        return 1;
    }
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        close(fd); /* it keeps the mapping, not the descriptor */
        if (open(argv[2], O_RDONLY | O_DIRECTORY) < 0 || write(ready[1], "r", 1) != 1)
            _exit(1);
        close(ready[1]);
        _exit(child(name, go[0], m, s));
    }
    close(ready[1]);
    close(go[0]);
    char c;
    if (read(ready[0], &c, 1) != 1) {
        fprintf(stderr, "analyzer_forker: the child never ran\n");
        return 1;
    }
    /* From here only the child holds them. */
    munmap(m, 4096);
    shmdt(s);
    close(fd);
    printf("child %d %d %d\n", (int)pid, id, (int)getpid());
    fflush(stdout);
    if (argc == 4) {
        if (shm_unlink(name) < 0 || shmctl(id, IPC_RMID, NULL) < 0) {
            perror("analyzer_forker: remove");
            return 1;
        }
        printf("removed\n");
        fflush(stdout);
    }
    char line[64];
    while (fgets(line, sizeof line, stdin))
        ;
    close(go[1]);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
