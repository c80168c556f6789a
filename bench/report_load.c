/* report_load.c — the trace `proftrace report` is timed on (bench/analyzer.bench.sh records it):
 *     report_load PREFIX EVENTS FINDINGS
 * maps FINDINGS POSIX shared-memory objects (PREFIX-0, PREFIX-1, ...), reads a registry value
 * EVENTS times (ordinary traffic, one event each, no stack; the hive is $WINSIM_HIVE_ROOT), then a
 * child removes every object while they are still mapped: FINDINGS deleted-while-held findings,
 * each with the stack of its delete (several frames, one of them inlined, and libc's), which the
 * report symbolizes. */
#include <windows.h>
#include <winreg.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static inline __attribute__((always_inline)) int remove_object(const char *name)
{
    return shm_unlink(name);
}

static __attribute__((noipa)) int sweep_one(const char *prefix, int i)
{
    char name[256];
    snprintf(name, sizeof name, "%s-%d", prefix, i);
    int rc = remove_object(name);
    return rc < 0 ? 1 : 0;
}

static __attribute__((noipa)) int sweep(const char *prefix, int n)
{
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += sweep_one(prefix, i);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: report_load PREFIX EVENTS FINDINGS\n");
        return 2;
    }
    const char *prefix = argv[1];
    long events = atol(argv[2]);
    int n = atoi(argv[3]);
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
    HKEY key;
    if (RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\ptbench", 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                        &key, NULL) ||
        RegSetValueExA(key, "value", 0, REG_SZ, (const BYTE *)"x", 2)) {
        fprintf(stderr, "report_load: cannot write the registry value\n");
        return 1;
    }
    for (long i = 0; i < events; i++) {
        char buf[16];
        DWORD len = sizeof buf;
        RegQueryValueExA(key, "value", NULL, NULL, (BYTE *)buf, &len);
    }
    RegCloseKey(key);
    pid_t child = fork();
    if (child == 0)
        _exit(sweep(prefix, n) ? 1 : 0);
    int status = 1;
    if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "report_load: the sweep failed\n");
        return 1;
    }
    return 0;
}
