/* analyzer_holder.c — real holders and victims for the analyzer's integration tests
 * (analyzer_e2e_held.sh, analyzer_e2e_victims.sh):
 *     analyzer_holder NAME [--unmap-first | --unlink]
 *         creates (or opens) the POSIX shared-memory object NAME, maps it shared, prints
 *         "holding", waits for end of input; then (with --unmap-first, unmaps before saying
 *         "holding") reopens NAME by name — which fails with ENOENT if someone removed it — prints
 *         what happened and exits 0; with --unlink it removes NAME instead, still mapped, as its
 *         owner's clean-up does (Python's SharedMemory.unlink): "unlink: ok" or the error
 *         ("already gone" when someone removed it first);
 *     analyzer_holder --sysv
 *         creates a private SysV segment, attaches it, prints "holding ID", waits for end of
 *         input, detaches and exits 0;
 *     analyzer_holder --open NAME      opens NAME once: prints "open: ok" or "open: <error>";
 *     analyzer_holder --attach ID      attaches SysV segment ID once: "attach: ok" or the error.
 * A victim's failing call is the traced one (shm_open, shmat); each exits 0 either way. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

static void wait_for_eof(void)
{
    char buf[64];
    while (fgets(buf, sizeof buf, stdin))
        ;
}

static int sysv_holder(void)
{
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    void *p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
    if (p == (void *)-1) {
        perror("analyzer_holder: shmget/shmat");
        return 1;
    }
    printf("holding %d\n", id);
    fflush(stdout);
    wait_for_eof();
    shmdt(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--sysv"))
        return sysv_holder();
    if (argc == 3 && !strcmp(argv[1], "--open")) {
        int fd = shm_open(argv[2], O_RDWR, 0);
        printf("open: %s\n", fd < 0 ? strerror(errno) : "ok");
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "--attach")) {
        void *p = shmat(atoi(argv[2]), NULL, SHM_RDONLY);
        printf("attach: %s\n", p == (void *)-1 ? strerror(errno) : "ok");
        return 0;
    }
    if (argc < 2)
        return 2;
    int unmap_first = argc > 2 && !strcmp(argv[2], "--unmap-first");
    int unlink_it = argc > 2 && !strcmp(argv[2], "--unlink");
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
    wait_for_eof();
    if (unlink_it) {
        int rc = shm_unlink(argv[1]);
        printf("unlink: %s\n", rc < 0 ? strerror(errno) : "ok");
        munmap(p, 4096);
        return 0;
    }
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
