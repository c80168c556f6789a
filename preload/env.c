/* env.c — the shim's environment: PROFTRACE_* values checked once (a bad one is named on stderr
 * and its default used), and LD_PRELOAD and PROFTRACE_* carried into the environment of an exec, so
 * descendants are traced even when the program passes an environment of its own. No allocation
 * on the exec path: the caller gives stack buffers (an exec may run in a vfork child, which must
 * not touch the heap). */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/shim.h"
#include "proftrace/env.h"

static char pt__self[PATH_MAX];             /* absolute path of libproftrace.so */
static char pt__env_preload[PATH_MAX + 16]; /* LD_PRELOAD=<self> */
static char pt__env_preload0[8192];         /* LD_PRELOAD as this process got it (names us) */
static char pt__env_dir[PATH_MAX + 16];     /* PROFTRACE_DIR=<absolute dir> */
static char pt__env_stacks[256];            /* PROFTRACE_STACKS=... as the process got it */
static char pt__env_gpid[96];               /* PROFTRACE_GPID=gpid:pid:start_time:depth */
static char pt__env_redact[64];             /* PROFTRACE_REDACT=... (redact.c), carried on */

/* The PROFTRACE_* variables whose value pt__env_warn named bad: left out of exec'ed environments,
 * so that descendants use the defaults without saying it again. */
static const char *pt__env_bad[16];
static unsigned pt__env_nbad;

static const char *const pt__env_names[] = {
#define PT__ENV_NAME(name, kind, value, def, help) #name,
    PT_ENV_VARS(PT__ENV_NAME)
#undef PT__ENV_NAME
};

const char *pt__getenv(const char *name)
{
    char why[160];
    const char *v = getenv(name);
    return v && pt_env_check(name, v, why, sizeof why) == -EINVAL ? pt_env_fallback(name) : v;
}

void pt__env_warn(void)
{
    for (size_t i = 0; i < sizeof pt__env_names / sizeof pt__env_names[0]; i++) {
        const char *name = pt__env_names[i], *v = getenv(name);
        char why[160], instead[64], line[512];
        if (!v || pt_env_check(name, v, why, sizeof why) != -EINVAL)
            continue;
        if (pt__env_nbad < sizeof pt__env_bad / sizeof pt__env_bad[0])
            pt__env_bad[pt__env_nbad++] = name;
        int n = snprintf(line, sizeof line, "proftrace: %s=%.100s: %s; %s\n", name, v, why,
                         pt_env_instead(name, instead, sizeof instead));
        if (n > (int)sizeof line - 1)
            n = (int)sizeof line - 1;
        ssize_t w = write(2, line, (size_t)n);
        (void)w;
    }
}

/* Is environment entry `e` one of the bad values pt__env_warn named? */
static int pt__env_is_bad(const char *e)
{
    for (unsigned i = 0; i < pt__env_nbad; i++) {
        size_t n = strlen(pt__env_bad[i]);
        if (!strncmp(e, pt__env_bad[i], n) && e[n] == '=')
            return 1;
    }
    return 0;
}

/* Does the LD_PRELOAD value `v` name the shim already? */
static int pt__has_self(const char *v)
{
    const char *base = strrchr(pt__self, '/');
    base = base ? base + 1 : pt__self;
    return strstr(v, pt__self) || strstr(v, base);
}

void pt__env_init(void)
{
    /* The name the loader opened the shim by: an absolute one is handed on as it is (the exec'd
     * image opens the same file); only a relative one is resolved, which costs a readlink per
     * component of the path. */
    Dl_info di;
    if (dladdr((void *)pt__env_init, &di) && di.dli_fname &&
        (di.dli_fname[0] == '/' || !realpath(di.dli_fname, pt__self)))
        strncpy(pt__self, di.dli_fname, sizeof pt__self - 1);
    strcpy(pt__env_preload, "LD_PRELOAD=");
    strncat(pt__env_preload, pt__self, sizeof pt__env_preload - 12);
    strcpy(pt__env_dir, "PROFTRACE_DIR=");
    strncat(pt__env_dir, pt__cfg.dir ? pt__cfg.dir : "", sizeof pt__env_dir - 15);
    /* An environment without LD_PRELOAD gets the whole list this process was started with (it may
     * hold more than the shim: a sanitizer runtime that must stay first, another preload). */
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strlen(pre) + 12 < sizeof pt__env_preload0 && pt__has_self(pre)) {
        strcpy(pt__env_preload0, "LD_PRELOAD=");
        strcat(pt__env_preload0, pre);
    } else {
        strcpy(pt__env_preload0, pt__env_preload);
    }
    const char *rd = pt__getenv("PROFTRACE_REDACT");
    if (rd && strlen(rd) < sizeof pt__env_redact - 18) {
        strcpy(pt__env_redact, "PROFTRACE_REDACT=");
        strcat(pt__env_redact, rd);
    }
    const char *s = pt__getenv("PROFTRACE_STACKS");
    if (s && strlen(s) < sizeof pt__env_stacks - 18) {
        strcpy(pt__env_stacks, "PROFTRACE_STACKS=");
        strcat(pt__env_stacks, s);
    }
}

void pt__env_set_gpid(uint32_t gpid, uint32_t pid, uint64_t start_time, unsigned depth)
{
    snprintf(pt__env_gpid, sizeof pt__env_gpid, "PROFTRACE_GPID=%u:%u:%llu:%u", gpid, pid,
             (unsigned long long)start_time, depth);
}

int pt__env_traced(char *const envp[])
{
    int pre = 0, dir = 0;
    for (size_t i = 0; envp && envp[i]; i++) {
        if (!strncmp(envp[i], "LD_PRELOAD=", 11))
            pre = pt__has_self(envp[i] + 11) != 0;
        else if (!strncmp(envp[i], "PROFTRACE_DIR=", 14))
            dir = envp[i][14] != 0;
    }
    return pre && dir;
}

char **pt__env_seccomp(char *const envp[], char **buf, size_t nbuf)
{
    static char mark[] = "PROFTRACE_SECCOMP=1";
    size_t n = 0;
    for (size_t i = 0; envp && envp[i] && n + 2 < nbuf; i++)
        if (strncmp(envp[i], "PROFTRACE_SECCOMP=", 18))
            buf[n++] = envp[i];
    buf[n++] = mark;
    buf[n] = NULL;
    return buf;
}

size_t pt__env_slots(char *const envp[])
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    /* + LD_PRELOAD, PROFTRACE_DIR, PROFTRACE_STACKS, PROFTRACE_GPID, PROFTRACE_REDACT, NULL */
    return n + 6;
}

char **pt__env_fix(char *const envp[], char **buf, size_t nbuf, char *str, size_t nstr)
{
    if (!pt__self[0] || !pt__env_dir[14])
        return (char **)envp;
    int have_pre = 0, have_dir = 0, have_stacks = 0, have_redact = 0;
    size_t n = 0;
    /* room for this entry, the five we may add and the NULL */
    for (size_t i = 0; envp && envp[i] && n + 7 <= nbuf; i++) {
        char *e = envp[i];
        if (!strncmp(e, "LD_PRELOAD=", 11)) {
            have_pre = 1;
            if (!pt__has_self(e + 11)) {
                size_t need = strlen(pt__self) + strlen(e + 11) + 13;
                if (need <= nstr) { /* ours first, then theirs */
                    strcpy(str, pt__env_preload);
                    strcat(str, ":");
                    strcat(str, e + 11);
                    e = str;
                } else {
                    e = pt__env_preload;
                }
            }
        } else if (pt__env_is_bad(e)) {
            continue; /* named once here; descendants use the default (or the fallback below) */
        } else if (!strncmp(e, "PROFTRACE_DIR=", 14)) {
            have_dir = 1;
        } else if (!strncmp(e, "PROFTRACE_STACKS=", 17)) {
            have_stacks = 1;
        } else if (!strncmp(e, "PROFTRACE_GPID=", 15) && pt__env_gpid[0]) {
            continue; /* someone else's (inherited): ours replaces it */
        } else if (!strncmp(e, "PROFTRACE_REDACT=", 17)) {
            have_redact = 1;
        }
        buf[n++] = e;
    }
    if (!have_pre)
        buf[n++] = pt__env_preload0;
    if (!have_dir)
        buf[n++] = pt__env_dir;
    if (!have_stacks && pt__env_stacks[0])
        buf[n++] = pt__env_stacks;
    if (pt__env_gpid[0])
        buf[n++] = pt__env_gpid;
    if (!have_redact && pt__env_redact[0]) /* a redacted trace stays redacted in descendants */
        buf[n++] = pt__env_redact;
    buf[n] = NULL;
    return buf;
}
