/* fuzz_env.c — libFuzzer target: the settings a traced program's environment hands the shim
 * (PROFTRACE_STACKS, PROFTRACE_BREAK, from preload/stack.c itself), the check of every PROFTRACE_*
 * value (preload/env_check.c), PROFTRACE_REDACT's rewriting
 * of a /proc/self/cmdline buffer (preload/redact.c), and the ring file names the collector and the
 * reader parse from a directory anyone may write to. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preload/shim.h"
#include "proftrace/env.h"
#include "tracer/internal.h"

/* stack.c's stack walker (unwind.c, module events): this target never takes a stack. */
int pt__unwind(uintptr_t *ips, int max)
{
    (void)ips, (void)max;
    return 0;
}
void pt__modules_note(const uint64_t *pcs, unsigned n)
{
    (void)pcs, (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    memset(pt__want, 0, sizeof pt__want);
    pt__want_fail = pt__want_delete = 0;
    pt__stacks_config(s);
    for (unsigned i = 0; i < PT_CALL_COUNT; i++)
        if (pt__want[i] > 1)
            abort(); /* a flag, never a count */
    pt__break_config(s);
    /* every value checked as each variable's (PROFTRACE_GROUP left out: an NSS lookup per input) */
    static const char *const names[] = {
#define NAME(name, kind, value, def, help) #name,
        PT_ENV_VARS(NAME)
#undef NAME
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char why[160];
        why[0] = 0;
        if (strcmp(names[i], "PROFTRACE_GROUP") &&
            pt_env_check(names[i], s, why, sizeof why) == -EINVAL && !memchr(why, 0, sizeof why))
            abort(); /* the reason must be a string */
    }
    uint32_t pid;
    uint64_t start, instance;
    if (pt__parse_ring_name(s, &pid, &start, &instance) == 0 && instance & 0xfff)
        (void)pid; /* parsed: any value is acceptable, the point is no overrun */
    /* The input as a NUL-separated command line in a buffer of the shim's size or smaller. */
    size_t cap = size < 4096 ? size + (size ? data[0] & 63 : 0) : 4096;
    char *cmd = malloc(cap ? cap : 1);
    if (cmd && size <= cap) {
        memcpy(cmd, data, size);
        pt__redact_config("1");
        size_t n = pt__redact_cmdline(cmd, size, cap);
        if (n > cap || (size && n == 0))
            abort();
    }
    free(cmd);
    free(s);
    return 0;
}
