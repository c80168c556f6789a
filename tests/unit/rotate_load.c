/* rotate_load.c — the processes of the rotation tests (tests/integration/rotate_*.sh):
 *     rotate_load hold PREFIX N [FILL]
 *                                 maps N POSIX shared-memory objects PREFIX-0.. (holds them),
 *                                 makes FILL registry reads (so that the packet with the holds is
 *                                 complete and drained at once, into the oldest chunks), prints
 *                                 "holding"; for each line of input makes a registry read (a
 *                                 sign of life: the analyzer does not take a holder that fell
 *                                 silent for a live one) and prints "alive"; at the end of input
 *                                 opens the
 *                                 objects again by name (ENOENT when they were removed: the
 *                                 victim) and prints "reopen: <error>"
 *     rotate_load hold-file PATH [FILL]
 *                                 the same with an open file: PATH opened for reading and
 *                                 writing (O_RDWR|O_CREAT: a data file, held while open), FILL
 *                                 reads, "holding", a read per line of input; at the end of input
 *                                 opens PATH again (ENOENT once it was removed: the victim)
 *     rotate_load unlink PATH     removes it (unlink): deleted while held
 *     rotate_load load N          N registry reads of one value (the ordinary traffic of a
 *                                 service: about two events each), in $WINSIM_HIVE_ROOT
 *     rotate_load delete PREFIX N removes the objects (shm_unlink): deleted while held
 * The holder does nothing while it waits, so none of its events can be lost: its finding is
 * certain whatever the load does to the other processes' buffers. */
#include <windows.h>
#include <winreg.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int load(long n);
static int wait_input(void);

static int hold(const char *prefix, int n, long fill)
{
    for (int i = 0; i < n; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0 ||
            mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED) {
            perror(name);
            return 1;
        }
        close(fd);
    }
    if (fill && load(fill))
        return 1;
    printf("holding\n");
    fflush(stdout);
    if (wait_input())
        return 1;
    char name[256];
    snprintf(name, sizeof name, "%s-0", prefix);
    int fd = shm_open(name, O_RDWR, 0);
    printf("reopen: %s\n", fd < 0 ? strerror(errno) : "ok");
    for (int i = 0; i < n; i++) { /* whatever is left */
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        shm_unlink(name);
    }
    return 0;
}

/* Signs of life while the holder waits: a registry read and "alive" per line of input. */
static int wait_input(void)
{
    char buf[64];
    while (fgets(buf, sizeof buf, stdin)) {
        if (load(1))
            return 1;
        printf("alive\n");
        fflush(stdout);
    }
    return 0;
}

static int hold_file(const char *path, long fill)
{
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || write(fd, "state\n", 6) != 6) {
        perror(path);
        return 1;
    }
    if (fill && load(fill))
        return 1;
    printf("holding\n");
    fflush(stdout);
    if (wait_input())
        return 1;
    int again = open(path, O_RDWR); /* (opens for reading only are not traced) */
    printf("reopen: %s\n", again < 0 ? strerror(errno) : "ok");
    return 0;
}

static int load(long n)
{
    HKEY key;
    if (RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\ptrotate", 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                        &key, NULL) ||
        RegSetValueExA(key, "value", 0, REG_SZ, (const BYTE *)"x", 2)) {
        fprintf(stderr, "rotate_load: cannot write the registry value\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        char buf[16];
        DWORD len = sizeof buf;
        RegQueryValueExA(key, "value", NULL, NULL, (BYTE *)buf, &len);
    }
    RegCloseKey(key);
    return 0;
}

static int delete (const char *prefix, int n)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        failed |= shm_unlink(name) < 0;
    }
    return failed;
}

int main(int argc, char **argv)
{
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "hold"))
        return hold(argv[2], atoi(argv[3]), argc == 5 ? atol(argv[4]) : 0);
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "hold-file"))
        return hold_file(argv[2], argc == 4 ? atol(argv[3]) : 0);
    if (argc == 3 && !strcmp(argv[1], "unlink"))
        return unlink(argv[2]) < 0;
    if (argc == 3 && !strcmp(argv[1], "load"))
        return load(atol(argv[2]));
    if (argc == 4 && !strcmp(argv[1], "delete"))
        return delete (argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: rotate_load hold PREFIX N [FILL] | hold-file PATH [FILL] | unlink PATH "
                    "| load N | delete PREFIX N\n");
    return 2;
}
