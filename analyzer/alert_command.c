/* alert_command.c — the `--on-finding CMD` runs: CMD by /bin/sh -c, one run per finding, the
 * finding's JSON on its standard input and its main fields in its environment; never blocking
 * the collector that starts them.
 *
 * How a run is made, and why:
 *  - standard input is a memfd holding the whole JSON, at offset 0. A pipe would make the collector
 *    either wait for a slow reader or keep writing the rest later; a file is read at the command's
 *    own pace and ends in EOF, whatever it does or does not read.
 *  - standard output goes where the collector's standard error goes (its standard output is the
 *    environment it printed, which scripts read); under systemd both reach the journal.
 *  - every other descriptor of the collector is closed, signals are default and unblocked, and the
 *    run is its own process group, so a timeout ends the command and what it started
 *    (SIGTERM to the group, SIGKILL PT__KILL_GRACE_S later), and a Ctrl-C on the collector's
 *    terminal is not delivered to it.
 *  - it runs on the CPUs the collector was started with, never on the narrower set the
 *    collector's draining thread may have taken meanwhile (tracer/placement.c): a child inherits
 *    the affinity of the thread that spawns it.
 *  - at most max_running run at once; later findings wait in order (at most max_queued; more are
 *    not run, and said), so a storm of findings is not a storm of processes.
 *  - each run is reaped by pt__commands_poll (waitpid of its own pid, never of any child), and
 *    how it ended is logged: its exit status, the signal that killed it, or its timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/alert_int.h"
#include "tracer/placement.h"

#define PT__KILL_GRACE_S 5

extern char **environ;

struct job {
    struct job *next;
    char **envp; /* owned: the strings and the array */
    int input;   /* the memfd holding the JSON */
    char what[200];
};

struct run {
    pid_t pid;
    int pidfd; /* -1 when the kernel has none: then waited for by polling */
    uint64_t deadline, kill_at;
    int termed;
    char what[200];
};

struct pt__commands {
    char *command;
    unsigned timeout_s, max_running, max_queued;
    void (*log)(void *arg, const char *line);
    void *log_arg;
    struct job *head, **tail;
    unsigned nqueued;
    struct run *runs; /* max_running slots; pid 0: free */
    struct pt_alert_stats st;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void say(struct pt__commands *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pt__commands *c, const char *fmt, ...)
{
    if (!c->log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->log(c->log_arg, line);
}

struct pt__commands *pt__commands_new(const struct pt_alert_opts *o)
{
    struct pt__commands *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->command = strdup(o->command);
    c->timeout_s = o->timeout_s ? o->timeout_s : PT_ALERT_TIMEOUT_S;
    c->max_running = o->max_running ? o->max_running : PT_ALERT_MAX_RUNNING;
    c->max_queued = o->max_queued ? o->max_queued : PT_ALERT_MAX_QUEUED;
    c->runs = calloc(c->max_running, sizeof *c->runs);
    c->log = o->log;
    c->log_arg = o->log_arg;
    c->tail = &c->head;
    if (!c->command || !c->runs) {
        free(c->command);
        free(c->runs);
        free(c);
        return NULL;
    }
    return c;
}

static void free_env(char **envp)
{
    if (!envp)
        return;
    for (char **e = envp; *e; e++)
        free(*e);
    free(envp);
}

/* The collector's environment with the finding's variables set (replacing any of the same name). */
static char **make_env(const struct pt__alert_field *f, unsigned n)
{
    size_t ne = 0;
    while (environ && environ[ne])
        ne++;
    char **envp = calloc(ne + n + 1, sizeof *envp);
    if (!envp)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < ne; i++) {
        int ours = 0;
        for (unsigned j = 0; j < n && !ours; j++) {
            size_t l = strlen(f[j].name);
            ours = !strncmp(environ[i], f[j].name, l) && environ[i][l] == '=';
        }
        if (!ours && !(envp[k++] = strdup(environ[i])))
            goto fail;
    }
    for (unsigned j = 0; j < n; j++) {
        if (asprintf(&envp[k], "%s=%.*s", f[j].name, (int)f[j].len, f[j].value) < 0) {
            envp[k] = NULL;
            goto fail;
        }
        k++;
    }
    return envp;
fail:
    free_env(envp);
    return NULL;
}

static int make_input(const char *data, size_t len)
{
    int fd = memfd_create("proftrace-finding", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            return -e;
        }
        data += w;
        len -= (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static void job_free(struct job *j)
{
    free_env(j->envp);
    if (j->input >= 0)
        close(j->input);
    free(j);
}

static int spawn(struct pt__commands *c, struct job *j, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, j->input, 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    char *argv[] = {"sh", "-c", c->command, NULL};
    pt_place_widen(); /* the child gets the collector's start mask (placement.h) */
    int rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, j->envp);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return -rc;
}

/* Start queued jobs while a slot is free. */
static void start_queued(struct pt__commands *c)
{
    for (unsigned s = 0; s < c->max_running && c->head; s++) {
        if (c->runs[s].pid)
            continue;
        struct job *j = c->head;
        c->head = j->next;
        if (!c->head)
            c->tail = &c->head;
        c->nqueued--;
        pid_t pid;
        int rc = spawn(c, j, &pid);
        if (rc < 0) {
            c->st.not_run++;
            say(c, "--on-finding: %s: not run: /bin/sh: %s", j->what, strerror(-rc));
        } else {
            struct run *r = &c->runs[s];
            *r = (struct run){.pid = pid,
                              .pidfd = (int)syscall(SYS_pidfd_open, pid, 0),
                              .deadline = now_ns() + (uint64_t)c->timeout_s * 1000000000ull};
            memcpy(r->what, j->what, sizeof r->what);
            c->st.started++;
        }
        job_free(j);
    }
}

int pt__commands_add(struct pt__commands *c, const struct pt__alert_field *env, unsigned n,
                     const char *data, size_t len, const char *what)
{
    if (c->nqueued >= c->max_queued) {
        c->st.not_run++;
        say(c, "--on-finding: %s: not run, %u findings already wait for a command", what,
            c->nqueued);
        return -ENOBUFS;
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    snprintf(j->what, sizeof j->what, "%s", what);
    j->input = make_input(data, len);
    j->envp = make_env(env, n);
    if (j->input < 0 || !j->envp) {
        int rc = j->input < 0 ? j->input : -ENOMEM;
        job_free(j);
        c->st.not_run++;
        say(c, "--on-finding: %s: not run: %s", what, strerror(-rc));
        return rc;
    }
    *c->tail = j;
    c->tail = &j->next;
    c->nqueued++;
    start_queued(c);
    return 0;
}

/* Run r ended with wait status `ws`. */
static void ended(struct pt__commands *c, struct run *r, int ws)
{
    if (r->termed) {
        c->st.timed_out++;
        say(c, "--on-finding: %s: still running after %u s: killed", r->what, c->timeout_s);
    } else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        c->st.ok++;
        say(c, "--on-finding: %s: exit status 0", r->what);
    } else if (WIFEXITED(ws)) {
        c->st.failed++;
        say(c, "--on-finding: %s: failed, exit status %d", r->what, WEXITSTATUS(ws));
    } else {
        c->st.failed++;
        say(c, "--on-finding: %s: killed by signal %d (%s)", r->what, WTERMSIG(ws),
            strsignal(WTERMSIG(ws)));
    }
    if (r->pidfd >= 0)
        close(r->pidfd);
    *r = (struct run){.pidfd = -1};
}

void pt__commands_poll(struct pt__commands *c)
{
    uint64_t now = now_ns();
    for (unsigned s = 0; s < c->max_running; s++) {
        struct run *r = &c->runs[s];
        if (!r->pid)
            continue;
        int ws = 0;
        pid_t w = waitpid(r->pid, &ws, WNOHANG);
        if (w == r->pid || (w < 0 && errno == ECHILD)) { /* ECHILD: reaped by someone else */
            ended(c, r, w < 0 ? 0 : ws);
            continue;
        }
        if (!r->termed && now >= r->deadline) {
            kill(-r->pid, SIGTERM);
            r->termed = 1;
            r->kill_at = now + PT__KILL_GRACE_S * 1000000000ull;
        } else if (r->termed && now >= r->kill_at) {
            kill(-r->pid, SIGKILL);
            r->kill_at = UINT64_MAX;
        }
    }
    start_queued(c);
}

void pt__commands_stats(const struct pt__commands *c, struct pt_alert_stats *st)
{
    st->started = c->st.started;
    st->ok = c->st.ok;
    st->failed = c->st.failed;
    st->timed_out = c->st.timed_out;
    st->not_run = c->st.not_run;
    st->queued = c->nqueued;
    st->running = 0;
    for (unsigned s = 0; s < c->max_running; s++)
        st->running += c->runs[s].pid != 0;
}

void pt__commands_drain(struct pt__commands *c)
{
    for (;;) {
        pt__commands_poll(c);
        struct pollfd pf[c->max_running];
        unsigned n = 0, blind = 0;
        uint64_t next = UINT64_MAX, now = now_ns();
        for (unsigned s = 0; s < c->max_running; s++) {
            struct run *r = &c->runs[s];
            if (!r->pid)
                continue;
            uint64_t at = r->termed ? r->kill_at : r->deadline;
            if (at < next)
                next = at;
            if (r->pidfd >= 0)
                pf[n++] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
            else
                blind = 1;
        }
        if (!n && !blind && !c->head)
            break;
        /* until one ends (its pidfd is readable) or the next deadline; without pidfds, look
         * again every 50 ms */
        uint64_t wait_ms = next == UINT64_MAX ? 1000 : next > now ? (next - now) / 1000000 + 1 : 0;
        if (blind && wait_ms > 50)
            wait_ms = 50;
        poll(pf, n, (int)(wait_ms > 1000 ? 1000 : wait_ms));
    }
}

void pt__commands_free(struct pt__commands *c)
{
    if (!c)
        return;
    pt__commands_drain(c);
    free(c->command);
    free(c->runs);
    free(c);
}
