/* alert_commands.c — the --on-finding commands, run for real by /bin/sh: the JSON on standard input
 * exactly, the fields in the environment (replacing stale ones, the rest inherited), no descriptor
 * of the caller leaked, their own process group; how each ended logged (exit 0, exit 3, a
 * signal); sends that return while the commands they started are blocked, at most max_running at
 * once, the rest started in order, a full queue refused; a command past its timeout ended with its
 * children (SIGTERM, and SIGKILL when it ignores SIGTERM); a big JSON never read; a command
 * started while the collector's placement narrowed the caller's CPUs gets the CPUs it started
 * with. Every wait waits for the event (a FIFO's reader, a count of ended runs); none decides by
 * time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/alert_test.h"
#include "tracer/placement.h"

static char dir[] = "/tmp/pt-alert-commands-XXXXXX";

/* A failing test leaves no command behind: every command still waiting at a gate reads EOF and
 * ends; then the directory goes. */
static void open_gates(void)
{
    char pattern[300];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/gate.*", dir);
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            int fd = open(g.gl_pathv[i], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0)
                close(fd);
        }
        globfree(&g);
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

/* The file `name` of the test's directory, whole; "" when it does not exist (yet) and `may_miss`.
 */
static char *slurp_opt(const char *name, size_t *len, int may_miss)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f && errno == ENOENT && may_miss)
        return strdup("");
    CHECK(f, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static char *slurp(const char *name, size_t *len)
{
    return slurp_opt(name, len, 0);
}

static struct pt_alert_stats stats(struct pt_alert *al)
{
    struct pt_alert_stats st;
    pt_alert_stats(al, &st);
    return st;
}

/* Poll the target until `n` runs ended (exit 0, failed or timed out). */
static void wait_ended(struct pt_alert *al, uint64_t n)
{
    for (;;) {
        pt_alert_poll(al);
        struct pt_alert_stats st = stats(al);
        if (st.ok + st.failed + st.timed_out >= n)
            return;
        usleep(5000);
    }
}

/* Let the command blocked on FIFO gate.<pid> go, once it is there (its reader opened the FIFO),
 * polling the target meanwhile; each poll checks that no more than max run. `started`, when not
 * NULL, is what $dir/started must hold then (the runs begun so far, in order; while we wait, a
 * part of it). */
static void release(struct pt_alert *al, unsigned pid, unsigned max, const char *started)
{
    char path[256];
    snprintf(path, sizeof path, "%s/gate.%u", dir, pid);
    int fd;
    while ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        CHECK(errno == ENXIO, "%s: %s", path, strerror(errno));
        pt_alert_poll(al);
        struct pt_alert_stats st = stats(al);
        CHECK(st.running <= max, "%llu commands run at once, at most %u may",
              (unsigned long long)st.running, max);
        if (started) {
            char *s = slurp_opt("started", NULL, 1);
            CHECK(!strncmp(started, s, strlen(s)), "runs began as '%s', not in order ('%s')", s,
                  started);
            free(s);
        }
        usleep(5000);
    }
    if (started) { /* the command is at its gate: it said it began */
        char *s = slurp("started", NULL);
        CHECK(!strcmp(started, s), "runs began as '%s', not in order ('%s')", s, started);
        free(s);
    }
    CHECK(write(fd, "go\n", 3) == 3, "write %s", path);
    close(fd);
}

static void mkgate(unsigned pid)
{
    char path[256];
    snprintf(path, sizeof path, "%s/gate.%u", dir, pid);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo %s", path);
}

/* The process `pid` is gone (or a zombie nobody reaps: the test is not its parent). */
static int gone(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static pid_t read_pid(const char *name)
{
    char *s = slurp(name, NULL);
    pid_t p = (pid_t)atoi(s);
    free(s);
    CHECK(p > 0, "no pid in %s", name);
    return p;
}

int main(void)
{
    CHECK(mkdtemp(dir), "mkdtemp");
    alert_test_on_fail = open_gates;
    setenv("ALERT_TEST_DIR", dir, 1);
    setenv("PROFTRACE_RULE", "stale", 1); /* the finding's value must replace it */
    signal(SIGPIPE, SIG_IGN);             /* inherited ignored, unless the spawn resets it */
    int leak = dup2(open("/dev/null", O_RDONLY), 57); /* not close-on-exec: must not reach a
                                                       * command */
    CHECK(leak == 57, "open");

    struct alert_test_log log = {0};
    struct pt_alert_opts o = {
        .trace_dir = "/var/lib/pt", .log = alert_test_log_line, .log_arg = &log};
    struct pt_alert *al;

    /* 1. What a command gets, and how it ended, logged. */
    o.command = "D=$ALERT_TEST_DIR/$PROFTRACE_DELETER_PID; mkdir $D; cat >$D/json; env >$D/env; "
                "ls /proc/$$/fd >$D/fds; cut -d' ' -f1,5 /proc/$$/stat >$D/pgrp; "
                "grep SigIgn /proc/$$/status >$D/sigign; "
                "case $PROFTRACE_DELETER_PID in 2) exit 3;; 3) kill -USR1 $$;; esac";
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    const char *json = "{\"schema\":1,\"trace_dir\":\"/var/lib/pt\",\"finding\":{\"rule\":"
                       "\"cross-namespace-purge\"}}\n";
    for (unsigned pid = 1; pid <= 3; pid++) {
        struct pt_finding f = alert_test_finding(pid, "Event\nScript");
        CHECK(pt_alert_send(al, &f, json) == 0, "send %u", pid);
    }
    pt_alert_drain(al);
    struct pt_alert_stats st = stats(al);
    CHECK(st.started == 3 && st.ok == 1 && st.failed == 2 && st.running == 0 && st.queued == 0,
          "stats: %llu started, %llu ok, %llu failed", (unsigned long long)st.started,
          (unsigned long long)st.ok, (unsigned long long)st.failed);
    CHECK(alert_test_logged(&log, "--on-finding: finding 1 (cross-namespace-purge, profile "
                                  "\"Event\\nScript\"): exit status 0"),
          "exit 0 not logged");
    CHECK(alert_test_logged(&log, "finding 2 (cross-namespace-purge, profile \"Event\\nScript\"): "
                                  "failed, exit status 3"),
          "exit 3 not logged");
    CHECK(alert_test_logged(&log, "finding 3 (cross-namespace-purge, profile \"Event\\nScript\"): "
                                  "killed by signal 10"),
          "SIGUSR1 not logged");
    char *s = slurp("1/json", NULL);
    CHECK(!strcmp(s, json), "stdin was '%s'", s);
    free(s);
    char *env = slurp("1/env", NULL);
    const char *want[] = {"\nPROFTRACE_RULE=cross-namespace-purge\n",
                          "\nPROFTRACE_CAUSE=session-namespace-split\n",
                          "\nPROFTRACE_SEVERITY=critical\n",
                          "\nPROFTRACE_UNCERTAIN=0\n",
                          "\nPROFTRACE_RESOURCE_KIND=profile\n",
                          "\nPROFTRACE_RESOURCE=Event\nScript\n",
                          "\nPROFTRACE_RESOURCE_IDENTITY=dev=65024 ino=4242\n",
                          "\nPROFTRACE_DELETER_PID=1\n",
                          "\nPROFTRACE_DELETER_EXE=/usr/bin/mapiclient\n",
                          "\nPROFTRACE_DELETER_CALL=MAPIInitialize\n",
                          "\nPROFTRACE_HOLDER_PID=7\n",
                          "\nPROFTRACE_HOLDER_EXE=/usr/sbin/eventsvc\n",
                          "\nPROFTRACE_VICTIM=IMAPISession_OpenMsgStore -> 0x80004005 "
                          "MAPI_E_CALL_FAILED\n",
                          "\nPROFTRACE_TRACE_DIR=/var/lib/pt\n",
                          "\nPROFTRACE_MESSAGE=cross-namespace-purge (session-namespace-split, "
                          "critical): profile \"Event\\nScript\" deleted by pid 1",
                          "\nALERT_TEST_DIR="};
    char *env_nl;
    CHECK(asprintf(&env_nl, "\n%s", env) > 0, "asprintf");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(strstr(env_nl, want[i]), "the environment has no '%s':\n%s", want[i], env);
    CHECK(!strstr(env_nl, "PROFTRACE_RULE=stale"), "a stale PROFTRACE_RULE stayed");
    free(env_nl);
    free(env);
    s = slurp("1/fds", NULL); /* ls: one a line, sorted as text */
    char *fds;
    CHECK(asprintf(&fds, "\n%s", s) > 0, "asprintf");
    CHECK(strstr(fds, "\n0\n") && strstr(fds, "\n1\n") && strstr(fds, "\n2\n"),
          "descriptors of the command: %s", s);
    CHECK(!strstr(fds, "\n57\n"), "the caller's descriptor 57 reached the command: %s", s);
    free(fds);
    free(s);
    unsigned spid, pgrp;
    s = slurp("1/pgrp", NULL);
    CHECK(sscanf(s, "%u %u", &spid, &pgrp) == 2 && spid == pgrp, "not its own group: %s", s);
    free(s);
    s = slurp("1/sigign", NULL);
    unsigned long long ign = strtoull(strchr(s, ':') + 1, NULL, 16);
    CHECK(!(ign & (1ull << (SIGPIPE - 1))), "SIGPIPE still ignored in the command: %s", s);
    free(s);
    pt_alert_close(al);

    /* 2. Sends return while what they started is blocked; at most 2 at once; all run. */
    log.n = 0;
    o.command = "echo $PROFTRACE_DELETER_PID >>$ALERT_TEST_DIR/started; "
                "read x <$ALERT_TEST_DIR/gate.$PROFTRACE_DELETER_PID";
    o.max_running = 2;
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    for (unsigned pid = 10; pid < 15; pid++) {
        mkgate(pid);
        struct pt_finding f = alert_test_finding(pid, "P");
        CHECK(pt_alert_send(al, &f, json) == 0, "send %u", pid);
    }
    st = stats(al);
    CHECK(st.started == 2 && st.running == 2 && st.queued == 3, "%llu running, %llu queued",
          (unsigned long long)st.running, (unsigned long long)st.queued);
    for (unsigned pid = 10; pid < 15; pid++) {
        release(al, pid, 2, NULL);
        wait_ended(al, pid - 9);
    }
    st = stats(al);
    CHECK(st.ok == 5 && st.started == 5, "%llu ok of 5", (unsigned long long)st.ok);
    pt_alert_close(al);

    /* ... and, one at a time, they start in the order of the findings. */
    char started[300];
    snprintf(started, sizeof started, "%s/started", dir);
    unlink(started);
    o.max_running = 1;
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    for (unsigned pid = 20; pid < 23; pid++) {
        mkgate(pid);
        struct pt_finding f = alert_test_finding(pid, "P");
        CHECK(pt_alert_send(al, &f, json) == 0, "send %u", pid);
    }
    release(al, 20, 1, "20\n");
    wait_ended(al, 1);
    release(al, 21, 1, "20\n21\n");
    wait_ended(al, 2);
    release(al, 22, 1, "20\n21\n22\n");
    wait_ended(al, 3);
    s = slurp("started", NULL);
    CHECK(!strcmp(s, "20\n21\n22\n"), "order: %s", s);
    free(s);
    pt_alert_close(al);

    /* 3. A full queue: the finding is not run, said. */
    log.n = 0;
    o.max_queued = 2;
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    for (unsigned pid = 30; pid < 34; pid++) {
        mkgate(pid);
        struct pt_finding f = alert_test_finding(pid, "P");
        int rc = pt_alert_send(al, &f, json);
        CHECK(rc == (pid < 33 ? 0 : -ENOBUFS), "send %u: %d", pid, rc);
    }
    CHECK(alert_test_logged(&log, "finding 4 (cross-namespace-purge, profile \"P\"): not run, 2 "
                                  "findings already wait"),
          "the refused finding not said");
    for (unsigned pid = 30; pid < 33; pid++)
        release(al, pid, 1, NULL);
    pt_alert_drain(al);
    st = stats(al);
    CHECK(st.ok == 3 && st.not_run == 1, "%llu ok, %llu not run", (unsigned long long)st.ok,
          (unsigned long long)st.not_run);
    pt_alert_close(al);
    o.max_queued = 0;

    /* 4. Past the timeout: the command and its child end, SIGKILL for one that ignores SIGTERM. */
    log.n = 0;
    o.timeout_s = 1;
    o.max_running = 2;
    o.command = "[ $PROFTRACE_DELETER_PID = 41 ] && trap '' TERM; "
                "sleep 1000 & echo $! >$ALERT_TEST_DIR/child.$PROFTRACE_DELETER_PID; wait";
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    for (unsigned pid = 40; pid < 42; pid++) {
        struct pt_finding f = alert_test_finding(pid, "P");
        CHECK(pt_alert_send(al, &f, json) == 0, "send %u", pid);
    }
    pt_alert_drain(al);
    st = stats(al);
    CHECK(st.timed_out == 2, "%llu timed out", (unsigned long long)st.timed_out);
    CHECK(alert_test_logged(&log, "finding 1 (cross-namespace-purge, profile \"P\"): still running "
                                  "after 1 s: killed"),
          "the timeout not said");
    for (unsigned pid = 40; pid < 42; pid++) {
        char name[32];
        snprintf(name, sizeof name, "child.%u", pid);
        pid_t child = read_pid(name);
        while (!gone(child)) /* its group was signalled: it ends */
            usleep(5000);
    }
    pt_alert_close(al);
    o.timeout_s = 0;

    /* 5. A JSON of 4 MiB to a command that reads none of it, and to one that reads 10 bytes. */
    log.n = 0;
    o.command = "[ $PROFTRACE_DELETER_PID = 51 ] && head -c 10 >$ALERT_TEST_DIR/head; exit 0";
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    size_t big = 4u << 20;
    char *bj = malloc(big + 1);
    memset(bj, 'y', big);
    memcpy(bj, "{\"schema\":", 10);
    bj[big] = 0;
    for (unsigned pid = 50; pid < 52; pid++) {
        struct pt_finding f = alert_test_finding(pid, "P");
        CHECK(pt_alert_send(al, &f, bj) == 0, "send %u", pid);
    }
    pt_alert_drain(al);
    st = stats(al);
    CHECK(st.ok == 2, "%llu ok of 2", (unsigned long long)st.ok);
    s = slurp("head", NULL);
    CHECK(!strcmp(s, "{\"schema\":"), "head read '%s'", s);
    free(s);
    free(bj);
    pt_alert_close(al);

    /* 6. Started from a collector's draining thread whose mask the placement narrowed
     * (tracer/placement.c): the command gets the mask the collector started with. */
    cpu_set_t start, now;
    CHECK(sched_getaffinity(0, sizeof start, &start) == 0, "sched_getaffinity");
    if (CPU_COUNT(&start) >= 2) {
        setenv("PROFTRACE_PLACEMENT", "always", 1); /* whatever the machine's load */
        pt_place_begin();
        unsetenv("PROFTRACE_PLACEMENT");
        for (int i = 0;
             i < 1000 && sched_getaffinity(0, sizeof now, &now) == 0 && CPU_EQUAL(&now, &start);
             i++)
            pt_place_woken(sched_getcpu()); /* a writer on our CPU woke us */
        CHECK(!CPU_EQUAL(&now, &start), "the placement did not narrow the mask");
        o.command = "grep Cpus_allowed_list: /proc/$$/status >$ALERT_TEST_DIR/mask";
        CHECK(pt_alert_open(&o, &al) == 0, "open");
        struct pt_finding f = alert_test_finding(60, "P");
        CHECK(pt_alert_send(al, &f, json) == 0, "send");
        pt_alert_drain(al);
        pt_alert_close(al);
        pt_place_end();
        FILE *m = fopen("/proc/self/status", "r");
        char line[4096], want[4096] = "";
        while (m && fgets(line, sizeof line, m))
            if (!strncmp(line, "Cpus_allowed_list:", 18))
                snprintf(want, sizeof want, "%s", line);
        if (m)
            fclose(m);
        s = slurp("mask", NULL);
        CHECK(*want && !strcmp(s, want), "the command ran with %s, the collector started with %s",
              s, want);
        free(s);
    } else {
        printf("one CPU: the command's mask after a placement is not checked\n");
    }

    close(leak);
    alert_test_on_fail = NULL;
    open_gates(); /* none is waited at any more: removes the directory */
    printf("ok: stdin, environment, descriptors, process group, exit statuses logged; sends never "
           "wait; at most N at once, in order; full queue refused; timeouts end the group; the "
           "collector's start mask\n");
    return 0;
}
