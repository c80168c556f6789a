/* diag_stream.c — the analyzer writes its diagnostics to a FILE as "proftrace: ..." lines; this
 * stream gives them the command's prefix on their way to stderr; the tracer's diagnostics come
 * through a callback, which does the same (diag_stream.h). */
#define _GNU_SOURCE /* fopencookie */
#include <stdlib.h>
#include <string.h>

#include "cmds/diag_stream.h"

struct diag_stream {
    const char *cmd;
    char line[4096];
    size_t n;
};

static void emit(struct diag_stream *d)
{
    static const char lib[] = "proftrace: ";
    const char *s = d->line;
    size_t n = d->n;
    if (n >= sizeof lib - 1 && !memcmp(s, lib, sizeof lib - 1))
        s += sizeof lib - 1, n -= sizeof lib - 1;
    fprintf(stderr, "proftrace %s: %.*s\n", d->cmd, (int)n, s);
    d->n = 0;
}

static ssize_t diag_write(void *cookie, const char *buf, size_t size)
{
    struct diag_stream *d = cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n')
            emit(d);
        else if (d->n < sizeof d->line)
            d->line[d->n++] = buf[i]; /* a longer line is cut, never split */
    }
    return (ssize_t)size;
}

static int diag_close(void *cookie)
{
    struct diag_stream *d = cookie;
    if (d->n)
        emit(d);
    free(d);
    return 0;
}

FILE *pt__diag_stream(const char *cmd)
{
    struct diag_stream *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cmd = cmd;
    FILE *f =
        fopencookie(d, "w", (cookie_io_functions_t){.write = diag_write, .close = diag_close});
    if (!f)
        free(d);
    else
        setvbuf(f, NULL, _IOLBF, 0);
    return f;
}

void pt__diag_line(void *cmd, const char *what)
{
    fprintf(stderr, "proftrace %s: %s\n", (const char *)cmd, what);
}
