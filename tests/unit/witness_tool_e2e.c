/* witness_tool_e2e.c — a traced holder for the witness's end-to-end tests (witness_e2e_*.sh), run
 * under `proftrace record` so the shim sees its Win32 calls: opens registry key SUBKEY (HKCU) and
 * keeps the handle, maps every named file mapping given (Local\NAME: POSIX shared memory), prints
 * "holding" and waits for a line on stdin; then uses what it holds as a victim would — queries a
 * value through the key handle (ERROR_KEY_DELETED once the key is gone) and reopens each mapping by
 * name (fails once it was removed) — prints what happened, and exits 0. Not a test by itself.
 * usage: witness_tool_e2e SUBKEY NAME... */
#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <winreg.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: witness_tool_e2e SUBKEY NAME...\n");
        return 2;
    }
    HKEY key;
    DWORD disp;
    LONG rc = RegCreateKeyExA(HKEY_CURRENT_USER, argv[1], 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key,
                              &disp);
    if (rc != 0) {
        fprintf(stderr, "witness_tool_e2e: RegCreateKeyExA: %ld\n", (long)rc);
        return 1;
    }
    static const char val[] = "held";
    if (RegSetValueExA(key, "v", 0, REG_SZ, (const BYTE *)val, sizeof val) != 0)
        return 1;
    for (int i = 2; i < argc; i++) {
        char name[256];
        snprintf(name, sizeof name, "Local\\%s", argv[i]);
        HANDLE m = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
        char *p = m ? MapViewOfFile(m, FILE_MAP_ALL_ACCESS, 0, 0, 4096) : NULL;
        if (!p) {
            fprintf(stderr, "witness_tool_e2e: mapping %s: %lu\n", name, (unsigned long)GetLastError());
            return 1;
        }
        p[0] = 1; /* the mapping stays (and the handle: a daemon keeps both) */
    }
    printf("holding\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    char buf[64];
    DWORD type, len = sizeof buf;
    rc = RegQueryValueExA(key, "v", NULL, &type, (BYTE *)buf, &len);
    printf("query: %ld\n", (long)rc);
    for (int i = 2; i < argc; i++) {
        char name[256];
        snprintf(name, sizeof name, "Local\\%s", argv[i]);
        HANDLE m = OpenFileMappingA(FILE_MAP_ALL_ACCESS, 0, name);
        printf("reopen %s: %s (%lu)\n", argv[i], m ? "ok" : "failed",
               m ? 0ul : (unsigned long)GetLastError());
    }
    fflush(stdout);
    return 0;
}
