/* analyzer_checkpoint_tool.c — checks that a checkpoint carries the whole live state.
 *
 *   analyzer_checkpoint_tool roundtrip DIR EVERY
 *       analyzes DIR twice: once straight through, once replacing the analyzer every EVERY events
 *       by what its checkpoint restores (save, load, go on with the copy); both reports, JSON and
 *       text, must be the same byte for byte. Exit 0 same, 1 differ (the first difference shown).
 *   analyzer_checkpoint_tool damage DIR
 *       saves the state of DIR at its end, then damages the text in the ways a crash or a hand
 *       can (cut short, a byte changed, an index out of range, lists made into loops, an unknown
 *       record, a checksum made to fit a changed file): each must be refused, with a line number
 *       or the reason. Exit 0 when every one was refused. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/checkpoint.h"
#include "proftrace/trace.h"

#define PT__STR(x) #x
#define PT__XSTR(x) PT__STR(x)

uint64_t pt__checkpoint_sum(const char *text, size_t len);

static void quiet(void *arg, const char *what)
{
    (void)arg, (void)what;
}

static char *report(struct pt_analyzer *a, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    struct pt_report_opts o = {.symbolize = 0, .disassemble = 0};
    struct pt_analyzer_input in = {.dir = "DIR"};
    if (!a->finished)
        pt_analyzer_finish(a, &in);
    if (json)
        pt_report_json(m, a, &o);
    else
        pt_report_text(m, a, &o);
    fclose(m);
    return buf;
}

static int differ(const char *what, const char *x, const char *y)
{
    if (!strcmp(x, y))
        return 0;
    size_t i = 0;
    while (x[i] && x[i] == y[i])
        i++;
    size_t from = i > 200 ? i - 200 : 0;
    fprintf(stderr, "%s differ at byte %zu:\n  straight: ...%.400s\n  restored: ...%.400s\n", what,
            i, x + from, y + from);
    return 1;
}

static int roundtrip(const char *dir, uint64_t every)
{
    struct pt_trace *t;
    struct pt_analyzer *a = pt_analyzer_new(), *b = pt_analyzer_new();
    const struct pt_event *ev;
    uint64_t n = 0, clones = 0;
    if (pt_trace_open(dir, quiet, NULL, &t) < 0 || !a || !b) {
        fprintf(stderr, "%s: cannot read\n", dir);
        return 2;
    }
    while ((ev = pt_trace_next_ref(t))) {
        pt_analyzer_feed(a, ev);
        pt_analyzer_feed(b, ev);
        if (++n % every == 0) {
            char why[512];
            struct pt_analyzer *c = pt__checkpoint_clone(b, why, sizeof why);
            if (!c) {
                fprintf(stderr, "event %" PRIu64 ": the checkpoint did not load back: %s\n", n,
                        why);
                return 1;
            }
            pt_analyzer_free(b);
            b = c;
            clones++;
        }
    }
    pt_trace_close(t);
    char *ja = report(a, 1), *jb = report(b, 1), *ta = report(a, 0), *tb = report(b, 0);
    /* processes left out of a checkpoint are counted apart: the summary's count is the same */
    int rc = differ("JSON reports", ja, jb) | differ("text reports", ta, tb);
    printf("%" PRIu64 " events, %" PRIu64 " restores, %u findings: %s\n", n, clones,
           pt_analyzer_nfindings(a), rc ? "DIFFER" : "same");
    free(ja), free(jb), free(ta), free(tb);
    pt_analyzer_free(a);
    pt_analyzer_free(b);
    return rc;
}

/* ---- damage ---------------------------------------------------------------------------------- */

/* Replace the end line so that the damaged text passes the checksum: what is checked then is the
 * records themselves. */
static char *resum(const char *text)
{
    size_t len = strlen(text);
    const char *end = strstr(text, "\nend lines=");
    size_t body = end ? (size_t)(end - text) + 1 : len;
    uint64_t lines = 0;
    for (size_t i = 0; i < body; i++)
        lines += text[i] == '\n';
    char *out;
    if (asprintf(&out, "%.*send lines=%" PRIu64 " sum=%016" PRIx64 "\n", (int)body, text, lines,
                 pt__checkpoint_sum(text, body)) < 0)
        return NULL;
    return out;
}

/* text with the first occurrence of `from` replaced by `to` (NULL when absent). */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    char *out;
    if (!at || asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) < 0)
        return NULL;
    return out;
}

static int refused(const char *name, const char *text, size_t len)
{
    struct pt_analyzer *a = NULL;
    struct pt__checkpoint cp;
    char why[256] = "";
    int rc = pt__checkpoint_load(text, len, &a, &cp, why, sizeof why);
    if (rc == 0) {
        fprintf(stderr, "%s: accepted, should be refused\n", name);
        pt_analyzer_free(a);
        pt__checkpoint_clear(&cp);
        return 0;
    }
    printf("%s: refused: %s\n", name, why);
    return why[0] != 0;
}

static int damage(const char *dir)
{
    struct pt_trace *t;
    struct pt_analyzer *a = pt_analyzer_new();
    const struct pt_event *ev;
    if (pt_trace_open(dir, quiet, NULL, &t) < 0 || !a)
        return 2;
    while ((ev = pt_trace_next_ref(t)))
        pt_analyzer_feed(a, ev);
    pt_trace_close(t);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    struct pt__checkpoint cp = {0};
    pt__checkpoint_save(m, a, &cp);
    fclose(m);
    int ok = 1;
    struct pt_analyzer *back;
    char why[256];
    if (pt__checkpoint_load(text, len, &back, &cp, why, sizeof why) != 0) {
        fprintf(stderr, "the good checkpoint was refused: %s\n", why);
        return 1;
    }
    pt_analyzer_free(back);
    pt__checkpoint_clear(&cp);
    ok &= refused("cut short", text, len / 2);
    char *x = strdup(text);
    x[len / 3] = x[len / 3] == '7' ? '8' : '7';
    ok &= refused("a byte changed", x, len);
    free(x);
    struct {
        const char *name, *from, *to;
    } edits[] = {
        {"an index out of range", "proc i=0 ", "proc i=9999 "},
        {"a process's holds made a loop", " pnext=-", " pnext=0"},
        {"an unknown record", "\ntotals ", "\nbogus x=1\ntotals "},
        {"a number that is not one", " pid=", " pid=x"},
        {"another version", "proftrace-checkpoint " PT__XSTR(PT__CHECKPOINT_VERSION),
         "proftrace-checkpoint 7"},
        {"a deletion's victims made a loop", " next=-", " next=0"},
        {"a kind that is not one", " kind=", " kind=BOGUS"},
        {"fewer records than counted", "counts procs=", "counts procs=1"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        char *y = replace(text, edits[i].from, edits[i].to), *z = y ? resum(y) : NULL;
        if (!z) {
            printf("%s: (not in this trace's checkpoint)\n", edits[i].name);
        } else {
            ok &= refused(edits[i].name, z, strlen(z));
        }
        free(y);
        free(z);
    }
    free(text);
    pt_analyzer_free(a);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "roundtrip"))
        return roundtrip(argv[2], strtoull(argv[3], NULL, 10) ?: 1);
    if (argc == 3 && !strcmp(argv[1], "damage"))
        return damage(argv[2]);
    fprintf(stderr, "usage: analyzer_checkpoint_tool roundtrip DIR EVERY | damage DIR\n");
    return 2;
}
