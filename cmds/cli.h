/* cli.h — the one command-line parser of every subcommand, and the document its --help and its
 * manual page are both rendered from (doc.c), so the two cannot drift.
 *
 * A subcommand describes itself once, in a `struct pt__cli_doc`: its usage, what it does, one row
 * per option (the getopt_long row, the value's name and the help text together) and its exit
 * status. Adding an option is adding a row and a `case`; --help, the manual page and the shell
 * completion (which reads --help) follow. */
#ifndef PT_CMDS_CLI_H
#define PT_CMDS_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/* The trace directory every subcommand defaults to, as perf's perf.data. */
#define PT_DEFAULT_DIR "proftrace.data"

/* Keys of long-only options start here (a short option's key is its letter). */
#define PT__CLI_LONG 256
#define PT__CLI_MAX_OPTS 48

struct pt__cli_opt {
    int key;          /* the short option letter, or PT__CLI_LONG + n for a long-only option */
    const char *name; /* long name, without the leading "--" */
    const char *arg;  /* the value's name (DIR, N, SIZE); "[MS]": an optional value, given as
                       * --name=MS only; NULL: the option takes no value */
    const char *help; /* flowing text; "\n  " starts a line kept as written */
};

struct pt__cli_section {
    const char *title; /* "Exit status", "Environment" ... */
    const char *text;  /* flowing text; "\n\n" between paragraphs, "\n  " a line kept as written */
};

struct pt__cli_doc {
    const char *name;        /* the subcommand ("record") */
    const char *summary;     /* one line, the manual page's NAME and `proftrace --help`'s list */
    const char *usage;       /* after "proftrace NAME "; "\n" separates alternative forms */
    const char *description; /* flowing text, as `text` above */
    const struct pt__cli_opt *opts;         /* ends with a row whose name is NULL */
    const struct pt__cli_section *sections; /* after the options; ends with a NULL title */
    int in_order; /* options end at the first operand (record: what follows is the command) */
};

/* The parser of one subcommand invocation (argv[0] is the subcommand's name). */
struct pt__cli {
    const struct pt__cli_doc *doc;
    int argc;
    char **argv;
    const struct pt__cli_opt *opt; /* the option pt__cli_next returned */
    const char *arg;               /* its value, NULL for a flag (or an optional value not given) */
    char **operands;               /* after the end of the options */
    int noperands;
    int status; /* when pt__cli_next returned -1: the exit status (0 after --help, else 2) */
    struct option getopt_rows[PT__CLI_MAX_OPTS + 2]; /* built from doc->opts, plus --help */
    char getopt_short[3 * PT__CLI_MAX_OPTS + 8];
};

void pt__cli_start(struct pt__cli *p, const struct pt__cli_doc *doc, int argc, char **argv);

/* The next option's key; 0 at the end of the options (operands and noperands set), -1 when the
 * command must return p->status: --help was printed (0), or a usage error was (2). -h/--help is
 * every subcommand's, without a row. `--name=value` and `--name value` are the same. */
int pt__cli_next(struct pt__cli *p);

/* The current option's value checked, or the message "proftrace CMD: --name wants ..., not 'V'"
 * naming the accepted range, and -1 (the command returns 2). Sizes take a k, m or g suffix. */
int pt__cli_number(struct pt__cli *p, long long min, long long max, long long *out);
int pt__cli_size(struct pt__cli *p, uint64_t min, uint64_t max, uint64_t *out);
/* A duration: seconds, or a number with s, m, h, d or w ("90s", "7d"); into *out_ns. */
int pt__cli_duration(struct pt__cli *p, uint64_t min_s, uint64_t max_s, uint64_t *out_ns);
/* `choices` ends with NULL; *out is the index of the one given. */
int pt__cli_choice(struct pt__cli *p, const char *const *choices, int *out);

/* "proftrace CMD: <message>" and the usage on stderr; returns 2, the status of a usage error. */
int pt__cli_usage_error(const struct pt__cli *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The trace directory operand of report, events, export: none (PT_DEFAULT_DIR) or one. NULL after
 * a usage error (said; the command returns 2). */
const char *pt__cli_dir_operand(struct pt__cli *p);

/* A size as options take it: 16384 as "16k" (the largest suffix that divides it). */
void pt__size_text(uint64_t v, char *buf, size_t len);

/* The doc's row with this long name, or NULL. */
const struct pt__cli_opt *pt__cli_find(const struct pt__cli_doc *doc, const char *name);

/* "-o, --output=DIR", "    --json" or "    --no-loss[=MS]" into buf (the option's help term). */
void pt__cli_term(const struct pt__cli_opt *o, char *buf, size_t len);

#endif
