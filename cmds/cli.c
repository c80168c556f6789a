/* cli.c — the one command-line parser (getopt_long, built from a subcommand's option rows) and the
 * checks of option values, each refusal naming what is accepted. Messages name an option by its
 * long name, which every option has. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/cli.h"
#include "cmds/doc.h"

void pt__cli_start(struct pt__cli *p, const struct pt__cli_doc *doc, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    p->doc = doc;
    p->argc = argc;
    p->argv = argv;
    struct option *lo = p->getopt_rows;
    char *so = p->getopt_short;
    unsigned n = 0;
    if (doc->in_order)
        *so++ = '+';
    *so++ = ':'; /* a missing value is told apart from an unknown option */
    for (const struct pt__cli_opt *o = doc->opts; o && o->name && n < PT__CLI_MAX_OPTS; o++) {
        int has = !o->arg ? no_argument : o->arg[0] == '[' ? optional_argument : required_argument;
        lo[n++] = (struct option){o->name, has, NULL, o->key};
        if (o->key < PT__CLI_LONG) {
            *so++ = (char)o->key;
            if (has != no_argument)
                *so++ = ':';
            if (has == optional_argument)
                *so++ = ':';
        }
    }
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n] = (struct option){0};
    *so++ = 'h';
    *so = 0;
    optind = 0; /* glibc: start afresh, whatever was parsed before */
    opterr = 0; /* our messages, with our prefix */
}

const struct pt__cli_opt *pt__cli_find(const struct pt__cli_doc *doc, const char *name)
{
    for (const struct pt__cli_opt *o = doc->opts; o && o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

static const struct pt__cli_opt *find_key(const struct pt__cli_doc *doc, int key)
{
    for (const struct pt__cli_opt *o = doc->opts; o && o->name; o++)
        if (o->key == key)
            return o;
    return NULL;
}

int pt__cli_usage_error(const struct pt__cli *p, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "proftrace %s: ", p->doc->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pt__doc_usage(stderr, p->doc);
    return 2;
}

int pt__cli_next(struct pt__cli *p)
{
    int c = getopt_long(p->argc, p->argv, p->getopt_short, p->getopt_rows, NULL);
    p->opt = NULL;
    p->arg = NULL;
    if (c == -1) {
        p->operands = p->argv + optind;
        p->noperands = p->argc - optind;
        return 0;
    }
    if (c == 'h') {
        pt__doc_command(stdout, p->doc, PT__DOC_TEXT);
        p->status = fflush(stdout) ? 2 : 0;
        return -1;
    }
    if (c == ':' || c == '?') {
        const char *given = p->argv[optind - 1]; /* getopt has stepped past it */
        const struct pt__cli_opt *o = optopt ? find_key(p->doc, optopt) : NULL;
        if (c == ':')
            p->status = pt__cli_usage_error(p, "--%s needs a value (%s)", o ? o->name : "?",
                                            o ? o->arg : "?");
        else if (o && !strncmp(given, "--", 2))
            p->status = pt__cli_usage_error(p, "--%s takes no value", o->name);
        else if (optopt && optopt < PT__CLI_LONG)
            p->status = pt__cli_usage_error(p, "unknown option '-%c'", optopt);
        else
            p->status = pt__cli_usage_error(p, "unknown option '%s'", given);
        return -1;
    }
    p->opt = find_key(p->doc, c);
    p->arg = optarg;
    return c;
}

/* "proftrace CMD: --name wants <what>, not 'value'"; returns -1 with status 2. */
static int refuse(struct pt__cli *p, const char *what)
{
    fprintf(stderr, "proftrace %s: --%s wants %s, not '%s'\n", p->doc->name,
            p->opt ? p->opt->name : "?", what, p->arg ? p->arg : "");
    p->status = 2;
    return -1;
}

int pt__cli_number(struct pt__cli *p, long long min, long long max, long long *out)
{
    const char *s = p->arg ? p->arg : "";
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s && !*end && !errno && v >= min && v <= max) {
        *out = v;
        return 0;
    }
    char what[96];
    snprintf(what, sizeof what, "a number from %lld to %lld", min, max);
    return refuse(p, what);
}

void pt__size_text(uint64_t v, char *buf, size_t len)
{
    static const char suffix[] = "kmg";
    int i = -1;
    while (i < 2 && v >= 1024 && v % 1024 == 0)
        v /= 1024, i++;
    if (i < 0)
        snprintf(buf, len, "%llu", (unsigned long long)v);
    else
        snprintf(buf, len, "%llu%c", (unsigned long long)v, suffix[i]);
}

int pt__cli_size(struct pt__cli *p, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *s = p->arg ? p->arg : "";
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end && !end[1] && strchr("kKmMgG", *end))
        shift = strchr("kK", *end) ? 10 : strchr("mM", *end) ? 20 : 30;
    int ok = *s >= '0' && *s <= '9' && !errno && (!*end || shift) && v <= (max >> shift);
    if (ok && (v << shift) >= min) {
        *out = v << shift;
        return 0;
    }
    char lo[32], hi[32], what[128];
    pt__size_text(min, lo, sizeof lo);
    pt__size_text(max, hi, sizeof hi);
    snprintf(what, sizeof what, "a size from %s to %s (bytes, or a number with k, m or g)", lo, hi);
    return refuse(p, what);
}

int pt__cli_duration(struct pt__cli *p, uint64_t min_s, uint64_t max_s, uint64_t *out_ns)
{
    static const struct {
        char c;
        uint64_t s;
    } unit[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    const char *s = p->arg ? p->arg : "";
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 0;
    for (size_t i = 0; i < sizeof unit / sizeof *unit; i++)
        if (*end == unit[i].c && !end[1])
            mul = unit[i].s;
    if (!*end)
        mul = 1;
    int ok = *s >= '0' && *s <= '9' && !errno && mul && v <= max_s / mul;
    if (ok && v * mul >= min_s) {
        *out_ns = (uint64_t)v * mul * 1000000000ull;
        return 0;
    }
    char what[128];
    snprintf(what, sizeof what,
             "a duration from %llus to %llud (seconds, or a number with s, m, h, d or w)",
             (unsigned long long)min_s, (unsigned long long)(max_s / 86400));
    return refuse(p, what);
}

int pt__cli_choice(struct pt__cli *p, const char *const *choices, int *out)
{
    char what[256] = "";
    size_t len = 0;
    for (int i = 0; choices[i]; i++) {
        if (p->arg && !strcmp(p->arg, choices[i])) {
            *out = i;
            return 0;
        }
        const char *sep = i == 0 ? "" : choices[i + 1] ? ", " : " or ";
        int k = snprintf(what + len, sizeof what - len, "%s%s", sep, choices[i]);
        len = k < 0 || (size_t)k >= sizeof what - len ? sizeof what - 1 : len + (size_t)k;
    }
    return refuse(p, what);
}

const char *pt__cli_dir_operand(struct pt__cli *p)
{
    if (p->noperands > 1) {
        p->status = pt__cli_usage_error(p, "one trace directory only ('%s' and '%s')",
                                        p->operands[0], p->operands[1]);
        return NULL;
    }
    return p->noperands ? p->operands[0] : PT_DEFAULT_DIR;
}

void pt__cli_term(const struct pt__cli_opt *o, char *buf, size_t len)
{
    char shortpart[8] = "    ";
    if (o->key < PT__CLI_LONG)
        snprintf(shortpart, sizeof shortpart, "-%c, ", o->key);
    if (!o->arg)
        snprintf(buf, len, "%s--%s", shortpart, o->name);
    else if (o->arg[0] == '[') /* "[MS]": --name[=MS] */
        snprintf(buf, len, "%s--%s[=%s", shortpart, o->name, o->arg + 1);
    else
        snprintf(buf, len, "%s--%s=%s", shortpart, o->name, o->arg);
}
