/* export_util.c — escaping for the timeline exporters (JSON strings, HTML text: the conventions of
 * proftrace/escape.h, shared by every reader), microsecond times. */
#include <stdio.h>
#include <string.h>

#include "analyzer/export_model.h"
#include "proftrace/escape.h"

void pt__x_json_raw(FILE *out, const char *s)
{
    pt_esc_json_raw(out, s);
}

void pt__x_json_str(FILE *out, const char *s)
{
    pt_esc_json(out, s);
}

void pt__x_html(FILE *out, const char *s)
{
    pt_esc_html(out, s);
}

void pt__x_us(FILE *out, uint64_t ts, uint64_t t0)
{
    uint64_t d = ts > t0 ? ts - t0 : 0;
    fprintf(out, "%llu.%03llu", (unsigned long long)(d / 1000), (unsigned long long)(d % 1000));
}
