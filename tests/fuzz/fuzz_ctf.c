/* fuzz_ctf.c — libFuzzer target: a whole trace directory (CTF metadata, stream files, rings beside
 * them) read by the reader and the analyzer.
 *
 * Input layout: parts separated by the 4 bytes "\n@@\n". The first part is the `metadata` file;
 * every later part is "NAME\0BYTES", a stream file NAME (or rings/NAME when BYTES begin with the
 * ring magic). Names are cut to 64 characters and any '/' becomes '_', so nothing escapes the
 * scratch directory. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/fuzz_util.h"

#define SEP "\n@@\n"

static const uint8_t *find_sep(const uint8_t *p, const uint8_t *end)
{
    for (; p + 4 <= end; p++)
        if (!memcmp(p, SEP, 4))
            return p;
    return end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    unsigned part = 0;
    fz_clean();
    while (p <= end && part < 16) {
        const uint8_t *q = find_sep(p, end);
        if (part == 0) {
            fz_write("metadata", p, (size_t)(q - p));
        } else {
            char name[80] = "rings/";
            size_t off = 0, k = 0;
            while (p + off < q && p[off] && k < 64) {
                char ch = (char)p[off++];
                name[6 + k++] = (ch == '/' || ch == 0) ? '_' : ch;
            }
            name[6 + k] = 0;
            while (p + off < q && p[off]) /* rest of an overlong name */
                off++;
            if (p + off < q)
                off++; /* the NUL */
            const uint8_t *body = p + off;
            size_t n = (size_t)(q - body);
            int ring = n >= 6 && !memcmp(body, "PTRING", 6);
            if (k == 0 || !strcmp(name + 6, ".") || !strcmp(name + 6, ".."))
                snprintf(name + 6, sizeof name - 6, "part%u", part);
            fz_write(ring ? name : name + 6, body, n);
        }
        part++;
        if (q == end)
            break;
        p = q + 4;
    }
    fz_read_trace(fz_dir(), 1);
    return 0;
}
