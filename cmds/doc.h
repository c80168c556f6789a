/* doc.h — a page of documentation written as --help text or as a manual page (roff), from the same
 * calls: what `proftrace CMD --help` prints and what proftrace-CMD(1) says are one text. */
#ifndef PT_CMDS_DOC_H
#define PT_CMDS_DOC_H

#include <stdio.h>

#include "cmds/cli.h"

enum pt__doc_format { PT__DOC_TEXT, PT__DOC_MAN };

struct pt__doc {
    FILE *f;
    enum pt__doc_format fmt;
    int indent; /* text: left margin of the current section */
    int last;   /* text: what the section holds last (0 nothing, 1 text, 2 an item) */
};

/* Texts are flowing: lines are joined and wrapped (text) or filled (man); an empty line separates
 * paragraphs; a line that starts with a space is kept as written (examples, tables). */

/* The page's start: usage (text), or .TH, NAME and SYNOPSIS (man). `page` is "proftrace" or
 * "proftrace-CMD", `usage` the forms after "proftrace[ CMD] ", separated by "\n". */
void pt__doc_begin(struct pt__doc *d, FILE *f, enum pt__doc_format fmt, const char *page,
                   const char *summary, const char *usage);
void pt__doc_description(struct pt__doc *d, const char *text);
void pt__doc_section(struct pt__doc *d, const char *title);
void pt__doc_text(struct pt__doc *d, const char *text);
/* A term and what it means: an option, a command, a variable. */
void pt__doc_item(struct pt__doc *d, const char *term, const char *text);
/* SEE ALSO (man only): "proftrace(1), proftrace-report(1)". */
void pt__doc_end(struct pt__doc *d, const char *see_also);

/* A subcommand's whole page: usage, description, options (with -h, --help), its sections. */
void pt__doc_command(FILE *f, const struct pt__cli_doc *doc, enum pt__doc_format fmt);
/* Its usage lines only (after a usage error), and where to read more. */
void pt__doc_usage(FILE *f, const struct pt__cli_doc *doc);

#endif
