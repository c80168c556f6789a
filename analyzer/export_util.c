/* export_util.c — escaping for the timeline exporters: JSON strings, HTML text, microsecond times.
 * Trace strings are whatever bytes a program passed; both outputs must stay valid UTF-8, so a byte
 * that does not start a valid UTF-8 sequence is written as the Latin-1 character it would be. */
#include <stdio.h>
#include <string.h>

#include "analyzer/export_model.h"

/* Length of the valid UTF-8 sequence at p (2..4), or 0 when p[0] does not start one. */
static int utf8_len(const unsigned char *p)
{
    int n;
    unsigned c = p[0];
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* Copy s to out; `esc` writes one ASCII byte (returns 1 when it wrote it itself). */
static void put_utf8(FILE *out, const char *s, int (*esc)(FILE *, unsigned))
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p < 0x80) {
            if (!esc(out, *p))
                fputc(*p, out);
            p++;
            continue;
        }
        int n = utf8_len(p);
        if (n) {
            fwrite(p, 1, (size_t)n, out);
            p += n;
        } else {
            fputc(0xc0 | (*p >> 6), out); /* the byte as U+0080..U+00FF */
            fputc(0x80 | (*p & 0x3f), out);
            p++;
        }
    }
}

static int esc_json(FILE *out, unsigned c)
{
    if (c == '"' || c == '\\') {
        fprintf(out, "\\%c", c);
        return 1;
    }
    if (c < 0x20 || c == 0x7f) {
        fprintf(out, "\\u%04x", c);
        return 1;
    }
    return 0;
}

static int esc_html(FILE *out, unsigned c)
{
    switch (c) {
    case '&':
        fputs("&amp;", out);
        return 1;
    case '<':
        fputs("&lt;", out);
        return 1;
    case '>':
        fputs("&gt;", out);
        return 1;
    case '"':
        fputs("&quot;", out);
        return 1;
    case '\'':
        fputs("&#39;", out);
        return 1;
    default:
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            fputc('?', out); /* not allowed in HTML text */
            return 1;
        }
        return 0;
    }
}

void pt__x_json_raw(FILE *out, const char *s)
{
    if (s)
        put_utf8(out, s, esc_json);
}

void pt__x_json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    put_utf8(out, s, esc_json);
    fputc('"', out);
}

void pt__x_html(FILE *out, const char *s)
{
    if (s)
        put_utf8(out, s, esc_html);
}

void pt__x_us(FILE *out, uint64_t ts, uint64_t t0)
{
    uint64_t d = ts > t0 ? ts - t0 : 0;
    fprintf(out, "%llu.%03llu", (unsigned long long)(d / 1000), (unsigned long long)(d % 1000));
}
