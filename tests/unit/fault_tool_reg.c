/* fault_tool_reg.c — a registry client for perm_redact.sh: stores the first line of stdin as the
 * data of value NAME in HKCU\Software\PtRedact (not on the command line: the test wants the data
 * to reach the process only through the registry call), reads it back, deletes the key. Prints
 * what it did (sizes only).
 * Needs WINSIM_HIVE_ROOT (a private hive for the run). */
#include <stdio.h>
#include <string.h>

#include "windows.h"
#include "winreg.h"

int main(int argc, char **argv)
{
    char data[2048];
    if (argc != 2 || !fgets(data, sizeof data, stdin)) {
        fprintf(stderr, "usage: echo DATA | fault_tool_reg NAME\n");
        return 2;
    }
    data[strcspn(data, "\n")] = 0;
    HKEY k;
    LONG r = RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\PtRedact", 0, NULL, 0, KEY_ALL_ACCESS,
                             NULL, &k, NULL);
    if (r != ERROR_SUCCESS)
        return fprintf(stderr, "RegCreateKeyExA: %ld\n", (long)r), 1;
    DWORD len = (DWORD)strlen(data) + 1;
    r = RegSetValueExA(k, argv[1], 0, REG_SZ, (const BYTE *)data, len);
    if (r != ERROR_SUCCESS)
        return fprintf(stderr, "RegSetValueExA: %ld\n", (long)r), 1;
    char back[4096];
    DWORD type = 0, blen = sizeof back;
    r = RegQueryValueExA(k, argv[1], NULL, &type, (BYTE *)back, &blen);
    if (r != ERROR_SUCCESS || blen != len || memcmp(back, data, len))
        return fprintf(stderr, "RegQueryValueExA: %ld\n", (long)r), 1;
    RegCloseKey(k);
    RegDeleteKeyA(HKEY_CURRENT_USER, "Software\\PtRedact");
    printf("set and read back %u bytes\n", (unsigned)len);
    return 0;
}
