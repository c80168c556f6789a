/* redact.c — PROFTRACE_REDACT: what the shim leaves out of a trace that may be shared.
 *
 * The shim never records payloads in the first place: registry value data (RegSetValueExA and
 * RegQueryValueExA record the value's name, type and size only), passwords (LogonUserA,
 * MAPILogonEx, CreateProfile record no password), mapped memory, file contents. What remains that
 * can carry a secret is the command line of each process (argv: tokens, passwords, customer names
 * passed as arguments). With PROFTRACE_REDACT set (to anything but "" or "0") the process event
 * keeps argv[0] and says how many arguments of how many bytes were left out:
 *     cmdline="eventsvc <3 args, 41 bytes redacted>"
 * Names stay: key paths, value names, profile names, user names, file and shared-memory names are
 * what a finding is about (docs/security.md). */
#include <stdio.h>
#include <string.h>

#include "preload/shim.h"

int pt__redact;

void pt__redact_config(const char *v)
{
    pt__redact = v && *v && strcmp(v, "0") != 0;
}

size_t pt__redact_cmdline(char *cmd, size_t n, size_t cap)
{
    if (!pt__redact || n == 0 || cap == 0)
        return n;
    size_t a0 = strnlen(cmd, n);
    if (a0 + 1 >= n)
        return n; /* argv[0] only: nothing to leave out */
    size_t args = 0, bytes = 0;
    for (size_t i = a0 + 1; i < n;) {
        size_t l = strnlen(cmd + i, n - i);
        args++;
        bytes += l;
        i += l + 1;
    }
    char note[64];
    int k = snprintf(note, sizeof note, "<%zu args, %zu bytes redacted>", args, bytes);
    if (k < 0 || a0 + 1 + (size_t)k + 1 > cap)
        return a0 + 1 < cap ? a0 + 1 : n; /* no room for the note: argv[0] alone */
    memcpy(cmd + a0 + 1, note, (size_t)k + 1);
    return a0 + 1 + (size_t)k + 1;
}
