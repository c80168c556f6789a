/* escape.c — trace bytes shown safely as text, JSON and HTML; the conventions are in escape.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proftrace/escape.h"

enum mode { TEXT, HTML, HTML_LINES, JSON };

/* Where escaped bytes go: a stream, or a buffer. Each character's escape is one put(), and a
 * buffer stops at the first one that does not fit, so it never holds half an escape. */
struct sink {
    FILE *f;
    char *buf;
    size_t size, written; /* buf holds `written` bytes, whole escapes only */
    size_t pos;           /* bytes the whole output needs */
    int full;
};

static void put(struct sink *k, const char *s, size_t n)
{
    if (k->f) {
        fwrite(s, 1, n, k->f);
    } else if (!k->full && k->written + n < k->size) {
        memcpy(k->buf + k->written, s, n);
        k->written += n;
    } else {
        k->full = 1;
    }
    k->pos += n;
}

static void put_hex(struct sink *k, const char *prefix, unsigned v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char b[16];
    size_t n = strlen(prefix);
    memcpy(b, prefix, n);
    for (int i = digits - 1; i >= 0; i--)
        b[n++] = hex[(v >> (4 * i)) & 0xf];
    put(k, b, n);
}

/* Length of the valid UTF-8 character at p (n bytes left) with its code point, or 0 when p[0]
 * does not start one (stray continuation byte, overlong form, surrogate, cut sequence, > U+10FFFF).
 */
static size_t utf8_char(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, c &= 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, c &= 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, c &= 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
        (len == 4 && (c < 0x10000 || c > 0x10ffff)))
        return 0;
    *cp = c;
    return len;
}

/* Valid characters that a terminal obeys or that reorder the text around them. */
static int hidden_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void ascii(struct sink *k, unsigned c, unsigned next, enum mode m, unsigned flags)
{
    const char *e = NULL;
    int html = m == HTML || m == HTML_LINES;
    switch (c) {
    case '\n':
        e = m == HTML_LINES ? "\n" : "\\n";
        break;
    case '\t':
        e = "\\t";
        break;
    case '\r':
        e = "\\r";
        break;
    case '\b':
        e = m == JSON ? "\\b" : NULL;
        break;
    case '\f':
        e = m == JSON ? "\\f" : NULL;
        break;
    case '"':
        e = m == JSON || (m == TEXT && (flags & PT_ESC_QUOTE)) ? "\\\"" : html ? "&quot;" : "\"";
        break;
    case '\\':
        if (m == JSON ||
            (m == TEXT && ((flags & PT_ESC_QUOTE) || (next && strchr("\\xuntr", (int)next)))))
            e = "\\\\";
        else
            e = "\\";
        break;
    case '&':
        e = html ? "&amp;" : "&";
        break;
    case '<':
        e = html ? "&lt;" : "<";
        break;
    case '>':
        e = html ? "&gt;" : ">";
        break;
    case '\'':
        e = html ? "&#39;" : "'";
        break;
    default:
        break;
    }
    if (e) {
        put(k, e, strlen(e));
    } else if (c < 0x20 || c == 0x7f) {
        if (m == JSON)
            put_hex(k, "\\u", c, 4);
        else
            put_hex(k, "\\x", c, 2);
    } else {
        char ch = (char)c;
        put(k, &ch, 1);
    }
}

static void escape(struct sink *k, const char *s, size_t len, enum mode m, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_char(p + i, len - i, &cp);
        if (n == 1) {
            ascii(k, cp, i + 1 < len ? p[i + 1] : 0, m, flags);
        } else if (n == 0) {
            put_hex(k, m == JSON ? "\\udc" : "\\x", p[i], 2);
            n = 1;
        } else if (hidden_control(cp)) {
            put_hex(k, "\\u", cp, 4);
        } else {
            put(k, (const char *)p + i, n);
        }
        i += n;
    }
}

void pt_esc_text_put(FILE *out, const char *s, size_t len, unsigned flags)
{
    struct sink k = {.f = out};
    escape(&k, s, len, TEXT, flags);
}

size_t pt_esc_text(char *buf, size_t size, const char *s, size_t len, unsigned flags)
{
    struct sink k = {.buf = buf, .size = size};
    escape(&k, s, len, TEXT, flags);
    if (size)
        buf[k.written] = 0;
    return k.pos;
}

const char *pt_esc(const char *s)
{
    static __thread struct {
        char *p;
        size_t cap;
    } slot[PT_ESC_SLOTS];
    static __thread unsigned next;
    if (!s)
        return NULL;
    size_t len = strlen(s), need = pt_esc_text(NULL, 0, s, len, 0) + 1;
    unsigned i = next++ % PT_ESC_SLOTS;
    if (slot[i].cap < need) {
        char *p = realloc(slot[i].p, need);
        if (!p)
            return "";
        slot[i].p = p;
        slot[i].cap = need;
    }
    pt_esc_text(slot[i].p, need, s, len, 0);
    return slot[i].p;
}

void pt_esc_json_raw(FILE *out, const char *s)
{
    struct sink k = {.f = out};
    if (s)
        escape(&k, s, strlen(s), JSON, 0);
}

void pt_esc_json(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    pt_esc_json_raw(out, s);
    fputc('"', out);
}

void pt_esc_html(FILE *out, const char *s)
{
    struct sink k = {.f = out};
    if (s)
        escape(&k, s, strlen(s), HTML, 0);
}

void pt_esc_html_lines(FILE *out, const char *s)
{
    struct sink k = {.f = out};
    if (s)
        escape(&k, s, strlen(s), HTML_LINES, 0);
}
