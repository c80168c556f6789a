/* fault_tool_holds.c — a program that publishes and consults holds, for perm_holds.sh: it holds a
 * registry key named SECRET (HKCU\Software\SECRET, a key handle) and a shared mapping of DIR/held,
 * prints "holding PID" and waits for a line on stdin; then, 100 times, opens and closes a subkey, maps
 * and unmaps a new file and deletes it (every delete consults the holds table when
 * PROFTRACE_BREAK=delete-held), and prints "done 100". Needs WINSIM_HIVE_ROOT.
 * usage: fault_tool_holds DIR SECRET */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "windows.h"
#include "winreg.h"

static char *map_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0)
        return NULL;
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
    char path[4096], sub[512];
    if (argc != 3) {
        fprintf(stderr, "usage: fault_tool_holds DIR SECRET\n");
        return 2;
    }
    HKEY key;
    snprintf(sub, sizeof sub, "Software\\%s", argv[2]);
    if (RegCreateKeyExA(HKEY_CURRENT_USER, sub, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key, NULL))
        return fprintf(stderr, "fault_tool_holds: RegCreateKeyExA failed\n"), 1;
    snprintf(path, sizeof path, "%s/held", argv[1]);
    char *held = map_file(path);
    if (!held)
        return perror(path), 1;
    held[0] = 1;
    printf("holding %d\n", (int)getpid());
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    int n = 0;
    for (int i = 0; i < 100; i++) {
        HKEY k;
        char s2[600];
        snprintf(s2, sizeof s2, "%s\\k%d", sub, i);
        if (RegCreateKeyExA(HKEY_CURRENT_USER, s2, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL))
            return fprintf(stderr, "fault_tool_holds: subkey %d\n", i), 1;
        RegCloseKey(k);
        snprintf(path, sizeof path, "%s/f%d", argv[1], i);
        char *p = map_file(path);
        if (!p)
            return perror(path), 1;
        p[0] = (char)i;
        munmap(p, 4096);
        if (unlink(path) < 0)
            return perror(path), 1;
        n++;
    }
    RegCloseKey(key);
    printf("done %d\n", n);
    return held[0] == 1 ? 0 : 1;
}
