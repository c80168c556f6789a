/* witness_tool_late.c — a traced holder whose holds begin while it runs, for witness_e2e_late.sh:
 * holds registry key SUBKEY (HKCU) and the named file mapping Local\FIRST, prints "holding", then
 * reads commands on stdin:
 *   map NAME    create and map Local\NAME (POSIX shared memory), print "held NAME";
 *   end         use every late mapping as a victim would (reopen it by name: fails once it was
 *               removed), print what happened, exit 0.
 * Not a test by itself. usage: witness_tool_late SUBKEY FIRST */
#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <winreg.h>

static int map(const char *what)
{
    char name[256];
    snprintf(name, sizeof name, "Local\\%s", what);
    HANDLE m = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    char *p = m ? MapViewOfFile(m, FILE_MAP_ALL_ACCESS, 0, 0, 4096) : NULL;
    if (!p) {
        fprintf(stderr, "witness_tool_late: mapping %s: %lu\n", name,
                (unsigned long)GetLastError());
        return -1;
    }
    p[0] = 1; /* kept mapped, with its handle, until the process ends */
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: witness_tool_late SUBKEY FIRST\n");
        return 2;
    }
    HKEY key;
    if (RegCreateKeyExA(HKEY_CURRENT_USER, argv[1], 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key, NULL))
        return 1;
    if (map(argv[2]) < 0)
        return 1;
    printf("holding\n");
    fflush(stdout);
    char line[256], late[256][64];
    int nlate = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "map ", 4) && nlate < 256) {
            if (map(line + 4) < 0)
                return 1;
            snprintf(late[nlate++], sizeof late[0], "%.63s", line + 4); /* short names */
            printf("held %s\n", line + 4);
            fflush(stdout);
        } else if (!strcmp(line, "end")) {
            break;
        }
    }
    for (int i = 0; i < nlate; i++) {
        char name[256];
        snprintf(name, sizeof name, "Local\\%.63s", late[i]);
        HANDLE m = OpenFileMappingA(FILE_MAP_ALL_ACCESS, 0, name);
        printf("reopen %s: %s (%lu)\n", late[i], m ? "ok" : "failed",
               m ? 0ul : (unsigned long)GetLastError());
    }
    fflush(stdout);
    return 0;
}
