/* doc.c — writes a page of documentation as --help text (wrapped at 80 columns) or as a manual
 * page in roff (man(7) macros), from the same calls; see doc.h. */
#include <ctype.h>
#include <string.h>

#include "cmds/doc.h"
#include "cmds/version.h"

#define PT__DOC_WIDTH 80
#define PT__DOC_TERM_COL 24 /* text: where an item's meaning starts */

/* ---- roff ------------------------------------------------------------------------------------ */

/* `n` bytes of `s` with roff's special characters escaped; `bol`: s starts an output line. */
static void roff_put(FILE *f, const char *s, size_t n, int bol)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (bol && i == 0 && (c == '.' || c == '\''))
            fputs("\\&", f);
        if (c == '\\')
            fputs("\\e", f);
        else if (c == '-')
            fputs("\\-", f); /* a real minus: options copied from the page work */
        else
            fputc(c, f);
    }
}

static void roff_line(FILE *f, const char *s, size_t n)
{
    roff_put(f, s, n, 1);
    fputc('\n', f);
}

/* "-o, --output=DIR", "--no-loss[=MS]": each name bold, each value name italic. */
static void roff_term(FILE *f, const char *term)
{
    while (*term == ' ')
        term++;
    while (*term) {
        size_t part = strcspn(term, ",");
        size_t name = strcspn(term, "[=,");
        fputs("\\fB", f);
        roff_put(f, term, name, 0);
        fputs("\\fR", f);
        const char *v = term + name, *end = term + part;
        if (v < end && *v == '[')
            fputc(*v++, f);
        if (v < end && *v == '=')
            fputc(*v++, f);
        size_t vn = strcspn(v, "],");
        if (vn) {
            fputs("\\fI", f);
            roff_put(f, v, vn, 0);
            fputs("\\fR", f);
        }
        if (v + vn < end && v[vn] == ']')
            fputc(']', f);
        term += part;
        if (*term == ',') {
            fputc(',', f);
            term++;
            while (*term == ' ')
                fputc(*term++, f);
        }
    }
    fputc('\n', f);
}

/* ---- text ------------------------------------------------------------------------------------ */

/* Words of s[0..n) filled from column *col up to PT__DOC_WIDTH, further lines at `indent`. */
static void fill(FILE *f, const char *s, size_t n, int indent, int *col)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == ' ')
            i++;
        size_t w = i;
        while (w < n && s[w] != ' ')
            w++;
        if (w == i)
            break;
        int len = (int)(w - i);
        if (*col > indent && *col + 1 + len > PT__DOC_WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            *col = indent;
        } else if (*col > indent) {
            fputc(' ', f);
            (*col)++;
        } else if (*col < indent) {
            fprintf(f, "%*s", indent - *col, "");
            *col = indent;
        }
        fwrite(s + i, 1, (size_t)len, f);
        *col += len;
        i = w;
    }
}

/* ---- flowing text, both ways ----------------------------------------------------------------- */

/* Writes `text` (doc.h: flowing lines, empty lines between paragraphs, lines starting with a space
 * kept as written). Text: from column `col` (an item's term may occupy the start), further lines
 * at `indent`. Man: a paragraph break is `parbreak` (.PP in a section, .IP inside an item). */
static void flow(struct pt__doc *d, const char *text, int indent, int col, const char *parbreak)
{
    int in_para = 0, verbatim = 0, started = col > 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (n == 0) { /* paragraph break */
            if (d->fmt == PT__DOC_TEXT && (in_para || verbatim))
                fputs(in_para ? "\n\n" : "\n", d->f);
            if (d->fmt == PT__DOC_MAN && verbatim)
                fputs(".fi\n", d->f);
            if (d->fmt == PT__DOC_MAN && (in_para || verbatim))
                fprintf(d->f, "%s\n", parbreak);
            in_para = verbatim = 0;
            col = 0;
        } else if (p[0] == ' ') { /* kept as written */
            if (d->fmt == PT__DOC_TEXT) {
                if (in_para || started)
                    fputc('\n', d->f);
                fprintf(d->f, "%*s", indent, "");
                fwrite(p, 1, n, d->f);
                fputc('\n', d->f);
            } else {
                if (!verbatim)
                    fputs(".nf\n", d->f);
                roff_line(d->f, p, n);
            }
            in_para = started = 0;
            verbatim = 1;
            col = 0;
        } else { /* flowing */
            if (d->fmt == PT__DOC_TEXT) {
                fill(d->f, p, n, indent, &col); /* joins with the line before: a space */
            } else {
                if (verbatim)
                    fputs(".fi\n", d->f);
                roff_line(d->f, p, n);
            }
            in_para = 1;
            verbatim = 0;
        }
        p += n;
        if (*p == '\n')
            p++;
    }
    if (d->fmt == PT__DOC_TEXT && in_para)
        fputc('\n', d->f);
    if (d->fmt == PT__DOC_MAN && verbatim)
        fputs(".fi\n", d->f);
}

/* ---- the page -------------------------------------------------------------------------------- */

void pt__doc_begin(struct pt__doc *d, FILE *f, enum pt__doc_format fmt, const char *page,
                   const char *summary, const char *usage)
{
    d->f = f;
    d->fmt = fmt;
    d->indent = d->last = 0;
    /* "proftrace-record" is run as "proftrace record" */
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s", page);
    char *dash = strchr(cmd, '-');
    if (dash)
        *dash = ' ';
    if (fmt == PT__DOC_MAN) {
        fputs(".TH \"", f);
        for (const char *c = page; *c; c++)
            if (*c == '-')
                fputs("\\-", f);
            else
                fputc(toupper((unsigned char)*c), f);
        fprintf(f, "\" 1 \"\" \"proftrace %s\" \"proftrace manual\"\n", pt__version());
        fputs(".nh\n.ad l\n", f); /* identifiers stay whole: no hyphenation, ragged right */
        fputs(".SH NAME\n", f);
        roff_put(f, page, strlen(page), 1);
        fputs(" \\- ", f);
        roff_put(f, summary, strlen(summary), 0);
        fputs("\n.SH SYNOPSIS\n.nf\n", f);
    }
    const char *u = usage;
    do { /* one line per form ("" is one form: the command alone) */
        size_t n = strcspn(u, "\n");
        if (fmt == PT__DOC_MAN) {
            fprintf(f, "\\fB%s\\fR%s", cmd, n ? " " : "\n");
            if (n)
                roff_line(f, u, n);
        } else {
            fprintf(f, "%s %s%s%.*s\n", u == usage ? "usage:" : "      ", cmd, n ? " " : "", (int)n,
                    u);
        }
        u += n;
    } while (*u++);
    if (fmt == PT__DOC_MAN)
        fputs(".fi\n", f);
}

void pt__doc_description(struct pt__doc *d, const char *text)
{
    if (d->fmt == PT__DOC_MAN)
        fputs(".SH DESCRIPTION\n", d->f);
    else
        fputc('\n', d->f);
    d->indent = 0;
    d->last = 0;
    flow(d, text, 0, 0, ".PP");
}

void pt__doc_section(struct pt__doc *d, const char *title)
{
    if (d->fmt == PT__DOC_MAN) {
        fputs(".SH \"", d->f);
        for (const char *c = title; *c; c++)
            fputc(toupper((unsigned char)*c), d->f);
        fputs("\"\n", d->f);
    } else {
        fprintf(d->f, "\n%s:\n", title);
    }
    d->indent = 2;
    d->last = 0;
}

void pt__doc_text(struct pt__doc *d, const char *text)
{
    if (d->fmt == PT__DOC_MAN)
        fputs(".PP\n", d->f);
    else if (d->last)
        fputc('\n', d->f); /* a blank line after what the section holds already */
    d->last = 1;
    flow(d, text, d->indent, 0, ".PP");
}

void pt__doc_item(struct pt__doc *d, const char *term, const char *text)
{
    if (d->fmt == PT__DOC_MAN) {
        fputs(".TP\n", d->f);
        roff_term(d->f, term);
        flow(d, text, 0, 0, ".IP");
        return;
    }
    if (d->last == 1)
        fputc('\n', d->f); /* items after a paragraph: a blank line between */
    d->last = 2;
    int col = fprintf(d->f, "%*s%s", d->indent, "", term);
    if (col > PT__DOC_TERM_COL - 2) {
        fputc('\n', d->f);
        col = 0;
    }
    flow(d, text, PT__DOC_TERM_COL, col, "");
}

void pt__doc_end(struct pt__doc *d, const char *see_also)
{
    if (d->fmt != PT__DOC_MAN || !see_also)
        return;
    fputs(".SH \"SEE ALSO\"\n", d->f);
    roff_line(d->f, see_also, strlen(see_also));
}

void pt__doc_command(FILE *f, const struct pt__cli_doc *doc, enum pt__doc_format fmt)
{
    struct pt__doc d;
    char page[64], term[128];
    snprintf(page, sizeof page, "proftrace-%s", doc->name);
    pt__doc_begin(&d, f, fmt, page, doc->summary, doc->usage);
    pt__doc_description(&d, doc->description);
    pt__doc_section(&d, "Options");
    for (const struct pt__cli_opt *o = doc->opts; o && o->name; o++) {
        pt__cli_term(o, term, sizeof term);
        pt__doc_item(&d, term, o->help);
    }
    pt__doc_item(&d, "-h, --help", "this help");
    for (const struct pt__cli_section *s = doc->sections; s && s->title; s++) {
        pt__doc_section(&d, s->title);
        pt__doc_text(&d, s->text);
    }
    pt__doc_end(&d, "proftrace(1)");
}

void pt__doc_usage(FILE *f, const struct pt__cli_doc *doc)
{
    struct pt__doc d;
    char page[64];
    snprintf(page, sizeof page, "proftrace-%s", doc->name);
    pt__doc_begin(&d, f, PT__DOC_TEXT, page, doc->summary, doc->usage);
    fprintf(f, "`proftrace %s --help` says more.\n", doc->name);
}
