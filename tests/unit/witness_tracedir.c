/* witness_tracedir.c — what processes do in the trace directory as they start and end (a ring file
 * renamed from rings/.pool to a name of its own there, then into rings/; a finished ring renamed
 * back into rings/.pool; names removed in rings/) never reaches the witness, even with the whole
 * filesystem marked: the kernel is told to drop those reports, so a traced process's start costs
 * the witness no report, pidfd or directory lookup. A deletion of a watched file by the same
 * process right after them is still recorded: the reports before it were all read. */
#include <fcntl.h>

#include "tests/unit/witness_test.h"

#define N 50

int main(void)
{
    char *base = t_mkdtemp("witness-tracedir");
    char trace[512], rings[600], pool[700], hive[512], victim[600];
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(rings, sizeof rings, "%s/rings", trace);
    snprintf(pool, sizeof pool, "%s/.pool", rings);
    snprintf(hive, sizeof hive, "%s/hive", base);
    snprintf(victim, sizeof victim, "%s/victim", hive);
    CHECK(mkdir(trace, 0700) == 0 && mkdir(rings, 0700) == 0 && mkdir(pool, 0700) == 0 &&
              mkdir(hive, 0700) == 0,
          "mkdir");
    int fd = open(victim, O_CREAT | O_WRONLY, 0600);
    CHECK(fd >= 0, "create %s", victim);
    close(fd);

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, PT_WITNESS_NO_THREAD | PT_WITNESS_NO_EXECS, &w, why,
                              sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return 1;
    /* the hive's filesystem, the trace directory's too, marked whole */
    CHECK(pt_witness_watch_path(w, hive) == 0, "watch %s", hive);

    /* Another process (the collector's own reports are set aside anyway) does what starting and
     * ending processes do, then deletes the watched file. */
    pid_t p = fork();
    if (p == 0) {
        int bad = 0;
        for (int i = 0; i < N; i++) {
            char slot[800], mine[800], ring[800], back[800];
            snprintf(slot, sizeof slot, "%s/1-0-1-15-7.%d", pool, i % 8);
            snprintf(mine, sizeof mine, "%s/.%d-%04d.tmp", pool, (int)getpid(), i);
            snprintf(ring, sizeof ring, "%s/%d-%d.ring", rings, (int)getpid(), i);
            snprintf(back, sizeof back, "%s/recycling", pool);
            int f = open(slot, O_CREAT | O_WRONLY, 0600);
            bad |= f < 0;
            if (f >= 0)
                close(f);
            bad |= rename(slot, mine) < 0;  /* taken from the pool */
            bad |= rename(mine, ring) < 0;  /* published */
            bad |= rename(ring, back) < 0;  /* given back */
            bad |= rename(back, slot) < 0;  /* ready again */
            bad |= unlink(slot) < 0;        /* the pool full: removed */
        }
        bad |= unlink(victim) < 0;
        _exit(bad);
    }
    CHECK(w_wait(p) == 0, "the renaming process failed");
    struct pt_witness_stats st;
    for (int i = 0; i < 1000; i++) {
        pt_witness_drain(w);
        pt_witness_stats(w, &st);
        if (st.recorded >= 1)
            break;
        w_sleep_ms(10);
    }
    pt_witness_stats(w, &st);
    pt_witness_stop(w);
    CHECK(st.recorded == 1, "%llu deletions recorded, expected the watched file's alone",
          (unsigned long long)st.recorded);
    CHECK(st.tracedir == 0,
          "%llu reports of names in the trace directory were read (%d renames and removals made)",
          (unsigned long long)st.tracedir, 5 * N);
    printf("reports read: %llu (none of the %d in the trace directory)\n",
           (unsigned long long)st.reports, 5 * N);

    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    CHECK(n == 1 && !strcmp(ev[0].path, victim) && ev[0].pid == (uint32_t)p,
          "%u events, the first %s by %u", n, n ? ev[0].path : "-", n ? ev[0].pid : 0);
    free(ev);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}
