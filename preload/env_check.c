/* env_check.c — is a value of a PROFTRACE_* variable one the shim understands? (include/proftrace/
 * env.h). Built into the shim, which warns and uses the default, and into `proftrace`, whose
 * `record` warns once before it starts a command rather than once per traced process. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getgrnam_r */
#endif
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proftrace/calls.h"
#include "proftrace/env.h"

struct pt__env_var {
    const char *name;
    enum pt_env_kind kind;
    const char *def;
};

static const struct pt__env_var pt__env_vars[] = {
#define PT__ENV_ROW(name, kind, value, def, help) {#name, PT_ENV_##kind, def},
    PT_ENV_VARS(PT__ENV_ROW)
#undef PT__ENV_ROW
};

static const char *const pt__env_cats[] = {
#define PT__ENV_CAT(c) #c,
    PT_CATEGORIES(PT__ENV_CAT)
#undef PT__ENV_CAT
};

#define PT__ENV_CALL(name, cat, hook, cret, cparams, cargs, retk, fields) #name,
static const char *const pt__env_calls[] = {PT_CALLS(PT__ENV_CALL, )};
#undef PT__ENV_CALL

static const struct pt__env_var *pt__env_find(const char *name)
{
    for (size_t i = 0; i < sizeof pt__env_vars / sizeof pt__env_vars[0]; i++)
        if (!strcmp(pt__env_vars[i].name, name))
            return &pt__env_vars[i];
    return NULL;
}

static int pt__env_is(const char *w, size_t n, const char *word)
{
    return strlen(word) == n && !strncmp(w, word, n);
}

/* A word of PROFTRACE_STACKS, as stack.c reads it. */
static int pt__env_stacks_word(const char *w, size_t n)
{
    static const char *const words[] = {"all", "none", "delete", "fail"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && !strncasecmp(w, words[i], n))
            return 1;
    for (size_t i = 0; i < sizeof pt__env_cats / sizeof pt__env_cats[0]; i++)
        if (strlen(pt__env_cats[i]) == n && !strncasecmp(w, pt__env_cats[i], n))
            return 1;
    for (size_t i = 0; i < sizeof pt__env_calls / sizeof pt__env_calls[0]; i++)
        if (pt__env_is(w, n, pt__env_calls[i]))
            return 1;
    return 0;
}

/* A word of PROFTRACE_BREAK, as pt__break_config (stack.c) reads it. */
static int pt__env_break_word(const char *w, size_t n)
{
    return pt__env_is(w, n, "delete-held") || pt__env_is(w, n, "key-deleted") ||
           pt__env_is(w, n, "delete") || pt__env_is(w, n, "all") || pt__env_is(w, n, "1") ||
           pt__env_is(w, n, "0");
}

/* Every word of a list separated by `seps` passes `ok`; else the first that does not goes to
 * why. */
static int pt__env_words(const char *v, const char *seps, int (*ok)(const char *, size_t),
                         const char *accepted, char *why, size_t len)
{
    for (const char *p = v; *p;) {
        p += strspn(p, seps);
        size_t n = strcspn(p, seps);
        if (n && !ok(p, n)) {
            snprintf(why, len, "unknown word '%.*s' (%s)", (int)(n > 64 ? 64 : n), p, accepted);
            return -EINVAL;
        }
        p += n;
    }
    return 0;
}

/* PROFTRACE_INLINE: one mode (auto, all, off) and optionally verbose. */
static int pt__env_inline(const char *v, char *why, size_t len)
{
    int modes = 0;
    for (const char *p = v; *p;) {
        p += strspn(p, ",");
        size_t n = strcspn(p, ",");
        if (!n)
            break;
        if (pt__env_is(p, n, "auto") || pt__env_is(p, n, "all") || pt__env_is(p, n, "off") ||
            pt__env_is(p, n, "none") || pt__env_is(p, n, "0")) {
            modes++;
        } else if (!pt__env_is(p, n, "verbose")) {
            snprintf(why, len, "unknown word '%.*s' (auto, all or off, then ,verbose if wanted)",
                     (int)(n > 64 ? 64 : n), p);
            return -EINVAL;
        }
        p += n;
    }
    if (modes > 1) {
        snprintf(why, len, "more than one mode (auto, all or off)");
        return -EINVAL;
    }
    return 0;
}

/* A size the shim reads (preload/state.c: digits, then k or m) and the ring accepts. */
static int pt__env_size(const char *v, char *why, size_t len)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned shift = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20 : 0;
    if (*v >= '0' && *v <= '9' && !errno && !end[shift ? 1 : 0] && n <= (1ull << (30 - shift)) &&
        (n << shift) >= (16u << 10))
        return 0;
    snprintf(why, len, "not a size from 16k to 1024m (bytes, or a number with k or m)");
    return -EINVAL;
}

static int pt__env_count(const char *v, char *why, size_t len)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*v >= '0' && *v <= '9' && !*end && n >= 1 && n <= 4096)
        return 0;
    snprintf(why, len, "not a number from 1 to 4096");
    return -EINVAL;
}

static int pt__env_noloss(const char *v, char *why, size_t len)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*v >= '0' && *v <= '9' && !*end && n >= 1 && n <= 600000)
        return 0;
    snprintf(why, len, "not a number of milliseconds from 1 to 600000");
    return -EINVAL;
}

static int pt__env_group(const char *v, char *why, size_t len)
{
    char *end, buf[4096];
    strtoul(v, &end, 10);
    struct group gr, *res = NULL;
    if ((*v >= '0' && *v <= '9' && !*end) ||
        (getgrnam_r(v, &gr, buf, sizeof buf, &res) == 0 && res))
        return 0;
    snprintf(why, len, "no such group (a group name or a gid)");
    return -EINVAL;
}

int pt_env_check(const char *name, const char *value, char *why, size_t len)
{
    const struct pt__env_var *var = pt__env_find(name);
    if (!var)
        return -ENOENT;
    if (!value || !*value)
        return 0;
    switch (var->kind) {
    case PT_ENV_ANY:
        return 0;
    case PT_ENV_BOOL:
        if (!strcmp(value, "0") || !strcmp(value, "1"))
            return 0;
        snprintf(why, len, "not 0 or 1");
        return -EINVAL;
    case PT_ENV_SIZE:
        return pt__env_size(value, why, len);
    case PT_ENV_COUNT:
        return pt__env_count(value, why, len);
    case PT_ENV_NOLOSS:
        return pt__env_noloss(value, why, len);
    case PT_ENV_STACKS:
        return pt__env_words(value, ", \t", pt__env_stacks_word,
                             "all, none, delete, fail, a category of calls or a function name", why,
                             len);
    case PT_ENV_BREAK:
        return pt__env_words(value, ",", pt__env_break_word,
                             "delete-held, key-deleted, delete, all, 1 or 0", why, len);
    case PT_ENV_INLINE:
        return pt__env_inline(value, why, len);
    case PT_ENV_GROUP:
        return pt__env_group(value, why, len);
    }
    return 0;
}

const char *pt_env_default(const char *name)
{
    const struct pt__env_var *var = pt__env_find(name);
    return var ? var->def : NULL;
}

const char *pt_env_fallback(const char *name)
{
    return !strcmp(name, "PROFTRACE_REDACT") ? "1" : NULL;
}

const char *pt_env_instead(const char *name, char *buf, size_t len)
{
    const char *def = pt_env_default(name), *fallback = pt_env_fallback(name);
    if (fallback)
        snprintf(buf, len, "using %s", fallback);
    else if (def && *def)
        snprintf(buf, len, "using the default %s", def);
    else
        snprintf(buf, len, "ignored");
    return buf;
}
