/* preload_bigenv.c — an exec with an environment near ARG_MAX's size, from a thread with a 64 KiB
 * stack: by fork + execve, vfork + execve, posix_spawn, and with an LD_PRELOAD of the program's
 * own longer than a page. Traced, every exec succeeds and the new image sees the program's whole
 * environment plus LD_PRELOAD and PROFTRACE_DIR; untraced (the same act side run without the
 * shim) it sees the same environment without them. The pages a vfork child maps for its exec are
 * unmapped in the parent again: 8 more vfork + execve cycles leave the address space at most one
 * environment's size larger. */
#include "tests/unit/preload_test.h"
#include "tests/unit/test_watchdog.h"

#include <limits.h>
#include <pthread.h>
#include <spawn.h>

extern char **environ;

static char self[4096];
static const char *const hows[] = {"fork", "vfork", "spawn", "preload"};
#define NHOWS 4

/* The program's own LD_PRELOAD of the "preload" case: libc, over 8 KiB of it (harmless: loaded
 * already). */
static char *their_preload(void)
{
    static char v[9100];
    if (!v[0]) {
        strcpy(v, "LD_PRELOAD=");
        while (strlen(v) + 2 * sizeof "libc.so.6:" < sizeof v) /* room for the last one too */
            strcat(v, "libc.so.6:");
        strcat(v, "libc.so.6");
    }
    return v;
}

/* How many PTBIG entries: about half of ARG_MAX in strings and pointers, at most 100 000. */
static size_t big_count(void)
{
    long max = sysconf(_SC_ARG_MAX);
    size_t n = max > 0 ? (size_t)max / 2 / 24 : 100000;
    return n > 100000 ? 100000 : n;
}

/* ---- The exec'ed image: what it sees --------------------------------------------------------- */
static int child(const char *how, const char *shim)
{
    size_t nbig = 0, bad = 0;
    const char *pre = NULL, *dir = NULL;
    for (char **e = environ; *e; e++) {
        size_t i;
        char v[32];
        if (sscanf(*e, "PTBIG%zu=%31s", &i, v) == 2) {
            char want[32];
            snprintf(want, sizeof want, "%zu", i * 7);
            nbig++;
            bad += strcmp(v, want) != 0;
        } else if (!strncmp(*e, "LD_PRELOAD=", 11) && !pre) {
            pre = *e + 11;
        } else if (!strncmp(*e, "PROFTRACE_DIR=", 14)) {
            dir = *e + 14;
        }
    }
    const char *theirs = their_preload() + 11, *kind = "other";
    size_t ls = strlen(shim);
    if (!pre)
        kind = "absent";
    else if (!strcmp(pre, theirs))
        kind = "theirs";
    else if (!strncmp(pre, shim, ls) && pre[ls] == ':' && !strcmp(pre + ls + 1, theirs))
        kind = "shim+theirs";
    else if (strstr(pre, shim))
        kind = "shim";
    char key[32];
    snprintf(key, sizeof key, "child_%s", how);
    t_fact(key, "%d %zu %zu %s %s", (int)getpid(), nbig, bad, kind, dir ? dir : "-");
    return 0;
}

/* ---- The act side: a thread with a small stack execs ----------------------------------------- */
static char **bigenv, **bigenv_pre;

static char **make_env(size_t n, const char *extra)
{
    char **env = calloc(n + 5, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (asprintf(&env[k++], "PTBIG%zu=%zu", i, i * 7) < 0)
            return NULL;
    const char *facts = getenv("PT_PRELOAD_FACTS"), *asan = getenv("ASAN_OPTIONS");
    if (asprintf(&env[k++], "PT_PRELOAD_FACTS=%s", facts ? facts : "") < 0)
        return NULL;
    /* Under AddressSanitizer: the shim ahead of the runtime is allowed in the "preload" case (the
     * shim put first keeps only itself, not the runtime the act side was started with). */
    if (asprintf(&env[k++], "ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "",
                 asan && *asan ? ":" : "") < 0)
        return NULL;
    if (extra)
        env[k++] = (char *)extra;
    env[k] = NULL;
    return env;
}

static long vm_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmSize:", 7))
            kb = atol(line + 7);
    if (f)
        fclose(f);
    return kb;
}

static int run_one(int h)
{
    char *args[] = {self, "bigenv-child", (char *)hows[h], (char *)t_shim(), NULL};
    char **env = h == 3 ? bigenv_pre : bigenv;
    pid_t pid;
    int st = -1;
    if (h == 2) {
        int rc = posix_spawn(&pid, self, NULL, NULL, args, env);
        if (rc != 0)
            return rc << 8;
    } else {
        pid = h == 1 ? vfork() : fork();
        if (pid == 0) {
            execve(self, args, env);
            _exit(errno == E2BIG ? 97 : 98);
        }
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return st;
}

static void *small_stack_thread(void *arg)
{
    for (int h = 0; h < NHOWS; h++)
        t_fact(hows[h], "%d", run_one(h));
    /* vfork + execve again: what each child mapped is unmapped in the parent */
    run_one(1);
    long before = vm_kb();
    for (int i = 0; i < 8; i++)
        run_one(1);
    t_fact("vm_growth_kb", "%ld", vm_kb() - before);
    return arg;
}

static int act(void)
{
    size_t n = big_count();
    bigenv = make_env(n, NULL);
    bigenv_pre = make_env(n, their_preload());
    if (!bigenv || !bigenv_pre)
        return 2;
    t_fact("nbig", "%zu", n);
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    if (pthread_create(&t, &a, small_stack_thread, NULL) != 0)
        return 3;
    pthread_join(t, NULL);
    return 0;
}

/* ---- The checker ---------------------------------------------------------------------------- */
/* The act side again, without the shim; its facts in `facts` (t_dir.untraced). */
static int run_untraced(char **argv, char *facts, size_t n)
{
    snprintf(facts, n, "%s.untraced", t_dir);
    unlink(facts);
    pid_t pid = fork();
    if (pid == 0) {
        unsetenv("LD_PRELOAD");
        unsetenv("PROFTRACE_DIR");
        setenv("PT_PRELOAD_ROLE", "act", 1);
        setenv("PT_PRELOAD_FACTS", facts, 1);
        execv(self, argv);
        _exit(127);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    return st;
}

/* The facts of one run: each case exited 0, its image saw every PTBIG entry intact and
 * LD_PRELOAD/PROFTRACE_DIR as expected. */
static void check_run(const char *run, int traced)
{
    size_t nbig = (size_t)t_fact_num("nbig");
    CHECK(nbig > 10000, "%s: PTBIG entries: %zu (ARG_MAX %ld)", run, nbig, sysconf(_SC_ARG_MAX));
    for (int h = 0; h < NHOWS; h++) {
        char key[32], kind[32] = "", dir[300] = "";
        int st = (int)t_fact_num(hows[h]), pid = 0;
        size_t seen = 0, bad = 1;
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s, %s: status %#x", run, hows[h], st);
        snprintf(key, sizeof key, "child_%s", hows[h]);
        CHECK(sscanf(t_fact_str(key), "%d %zu %zu %31s %299s", &pid, &seen, &bad, kind, dir) == 5,
              "%s, %s: the new image said nothing", run, hows[h]);
        CHECK(seen == nbig && bad == 0, "%s, %s: %zu of %zu entries seen, %zu wrong", run, hows[h],
              seen, nbig, bad);
        const char *want = traced ? "shim" : "absent";
        if (h == 3)
            want = traced ? "shim+theirs" : "theirs";
        CHECK(!strcmp(kind, want), "%s, %s: LD_PRELOAD %s, not %s", run, hows[h], kind, want);
        CHECK(!strcmp(dir, traced ? t_dir : "-"), "%s, %s: PROFTRACE_DIR %s", run, hows[h], dir);
        if (traced)
            CHECK(t_count("process", (uint32_t)pid) >= 1, "%s, %s: the new image is traced", run,
                  hows[h]);
    }
    if (traced) {
        long growth = t_fact_num("vm_growth_kb");
        long env_kb = (long)((nbig + 8) * sizeof(char *) / 1024);
        CHECK(growth < 2 * env_kb,
              "8 vfork + execve: the address space grew by %ld KiB (an environment: %ld KiB)",
              growth, env_kb);
    }
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    if (argc > 3 && !strcmp(argv[1], "bigenv-child"))
        return child(argv[2], argv[3]);
    if (t_acting())
        return act();
    t_watchdog("preload_bigenv", 100);

    int st = t_run_self(argv, "bigenv", NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "traced act side status %#x", st);
    CHECK(t_read(t_dir) == 0, "reader diagnostics");
    check_run("traced", 1);

    char traced_facts[sizeof t_facts], facts[sizeof t_facts];
    snprintf(traced_facts, sizeof traced_facts, "%s", t_facts);
    st = run_untraced(argv, facts, sizeof facts);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "untraced act side status %#x", st);
    snprintf(t_facts, sizeof t_facts, "%s", facts);
    check_run("untraced", 0);
    unlink(facts);
    snprintf(t_facts, sizeof t_facts, "%s", traced_facts);
    return t_done("preload_bigenv");
}
