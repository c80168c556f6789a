/* fuzz_core.c — libFuzzer target: `proftrace core` on a core file (rings recovered with libelf from
 * NT_FILE and PT_LOAD), then the recovered rings read as a trace. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proftrace/core.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char core[4200], out[4200];
    fz_clean();
    fz_write("core", data, size);
    snprintf(core, sizeof core, "%s/core", fz_dir());
    snprintf(out, sizeof out, "%s/out", fz_dir());
    FILE *log = fopen("/dev/null", "we");
    struct pt_core_result res;
    memset(&res, 0, sizeof res);
    if (pt_core_recover(core, out, log, &res) == 0)
        fz_read_trace(out, 0);
    if (log)
        fclose(log);
    return 0;
}
