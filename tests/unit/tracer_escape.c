/* tracer_escape.c — the one escaping every reader uses (proftrace/escape.h): text is lossless and
 * readable (control bytes, bytes outside UTF-8 and text-reordering characters escaped, registry
 * paths untouched), a buffer never holds half an escape, pt_esc's buffers survive PT_ESC_SLOTS
 * calls, and JSON carries bytes outside UTF-8 as \udcHH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proftrace/escape.h"

static int failures;

static void check_text(const char *in, size_t len, unsigned flags, const char *want, int line)
{
    char buf[256];
    size_t need = pt_esc_text(buf, sizeof buf, in, len, flags);
    if (strcmp(buf, want) || need != strlen(want)) {
        fprintf(stderr, "FAIL line %d: got [%s] (%zu), want [%s]\n", line, buf, need, want);
        failures++;
    }
}
#define TEXT(in, flags, want) check_text(in, sizeof in - 1, flags, want, __LINE__)

int main(void)
{
    TEXT("plain name", 0, "plain name");
    TEXT("caf\xc3\xa9 \xe2\x86\x92", 0, "caf\xc3\xa9 \xe2\x86\x92"); /* valid UTF-8 stays */
    TEXT("\x1b]0;t\x07\x1b[2J", 0, "\\x1b]0;t\\x07\\x1b[2J");
    TEXT("a\nfinding 9: x", 0, "a\\nfinding 9: x");
    TEXT("t\tr\r\x7f", 0, "t\\tr\\r\\x7f");
    TEXT("bad\xff\xc0\xaf", 0, "bad\\xff\\xc0\\xaf"); /* stray byte, overlong */
    TEXT("\xe2\x86", 0, "\\xe2\\x86");                /* cut sequence */
    TEXT("\xc2\x9b"
         "2J",
         0, "\\u009b2J"); /* C1 CSI */
    TEXT("a\xe2\x80\xae"
         "b",
         0, "a\\u202eb"); /* right-to-left override */
    TEXT("HKCU\\Software\\Profiles", 0, "HKCU\\Software\\Profiles");
    TEXT("C:\\x1b", 0, "C:\\\\x1b"); /* a literal backslash-x is not mistaken for an escape */
    TEXT("a\\\\n", 0, "a\\\\\\\\n");
    TEXT("end\\", 0, "end\\");
    TEXT("q\"\\S", PT_ESC_QUOTE, "q\\\"\\\\S"); /* strace style inside quotes */
    TEXT("", 0, "");

    /* a small buffer holds whole escapes only, and the needed length is still returned */
    char small[6];
    size_t need = pt_esc_text(small, sizeof small,
                              "ab\x1b"
                              "cd",
                              5, 0);
    if (need != 8 || strcmp(small, "ab")) {
        fprintf(stderr, "FAIL small buffer: [%s] %zu\n", small, need);
        failures++;
    }
    if (pt_esc_text(NULL, 0, "\xff", 1, 0) != 4) {
        fprintf(stderr, "FAIL size query\n");
        failures++;
    }

    /* pt_esc: PT_ESC_SLOTS results are valid at once (one printf with that many strings) */
    const char *r[PT_ESC_SLOTS];
    char want[PT_ESC_SLOTS][32], in[32];
    for (int i = 0; i < PT_ESC_SLOTS; i++) {
        snprintf(in, sizeof in, "n%d\x1b", i);
        snprintf(want[i], sizeof want[i], "n%d\\x1b", i);
        r[i] = pt_esc(in);
    }
    for (int i = 0; i < PT_ESC_SLOTS; i++)
        if (strcmp(r[i], want[i])) {
            fprintf(stderr, "FAIL pt_esc slot %d: [%s]\n", i, r[i]);
            failures++;
        }
    if (pt_esc(NULL) != NULL) {
        fprintf(stderr, "FAIL pt_esc(NULL)\n");
        failures++;
    }
    char *big = malloc(100001);
    memset(big, '\x01', 100000);
    big[100000] = 0;
    if (!big || strlen(pt_esc(big)) != 400000) {
        fprintf(stderr, "FAIL pt_esc of a long string\n");
        failures++;
    }
    free(big);

    /* JSON and HTML */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    pt_esc_json(f, "a\"\\\x1b\xff\xc2\x9b\n");
    fputc('|', f);
    pt_esc_json(f, NULL);
    fputc('|', f);
    pt_esc_html(f, "<b>\n\x1b\\x");
    fputc('|', f);
    pt_esc_html_lines(f, "one\ntwo");
    fclose(f);
    const char *want_out =
        "\"a\\\"\\\\\\u001b\\udcff\\u009b\\n\"|null|&lt;b&gt;\\n\\x1b\\x|one\ntwo";
    if (strcmp(out, want_out)) {
        fprintf(stderr, "FAIL json/html: got [%s]\n want [%s]\n", out, want_out);
        failures++;
    }
    free(out);
    if (failures)
        return 1;
    printf("ok\n");
    return 0;
}
