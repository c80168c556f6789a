/* witness_sysv_between.c — SysV removals whose holder the witness learns of only between two
 * looks at the segment table. (1) A segment made and removed between two looks, while a watched
 * process still has it attached: the removal is recorded, with that process as the holder. A watched process attaches a new private segment after the witness's first look
 * (so that look does not list it), the test removes it (shmctl IPC_RMID: it stays in the table,
 * marked for destruction, as long as it is attached), and only then does the witness look again:
 * the segment is new to it and already removed, recorded as seen intact by no look (seen_ts 0).
 * (A fork child keeping what its parent attached had it removed by an untraced ipcrm within the
 * 0.1 s between two looks, on a fast run, and the removal was never recorded.) Controls: the
 * same made and removed while only a process the witness does not watch has it attached is not
 * recorded; a later look does not record the removal again. (2) A segment removed while attached
 * only by a process the witness watches from the next look on (a fork child whose ring the
 * collector attached after the look that noticed the removal): recorded at that look, with it as
 * the holder, dated after the look before the removal; one attached by a process never watched
 * stays unrecorded. Caller-driven witness: the looks are the test's. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/ipc.h>
#include <sys/shm.h>

#include "tests/unit/witness_test.h"

/* A process that attaches a new private segment at each byte 'a' and writes back its id (-1 when
 * it failed); quits at 'q'. Its pid, with its pipes in to[1] and from[0]. */
static pid_t start_attacher(int to[2], int from[2])
{
    CHECK(pipe(to) == 0 && pipe(from) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(to[1]);
        close(from[0]);
        while (read(to[0], &c, 1) == 1 && c == 'a') {
            int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
            if (id >= 0 && shmat(id, NULL, 0) == (void *)-1)
                id = -1;
            if (write(from[1], &id, sizeof id) != sizeof id)
                _exit(2);
        }
        _exit(0); /* its segments, removed by the test, go with its exit */
    }
    close(to[0]);
    close(from[1]);
    return pid;
}

/* A new segment attached by the attacher: its id, or -1. */
static int attach(int to, int from)
{
    int id = -1;
    CHECK(write(to, "a", 1) == 1 && read(from, &id, sizeof id) == sizeof id && id >= 0,
          "the attacher did not attach a segment");
    return id;
}

static void remove_seg(int id)
{
    CHECK(id < 0 || shmctl(id, IPC_RMID, NULL) == 0, "shmctl(%d, IPC_RMID)", id);
}

/* ... removed at once */
static int attach_and_remove(int to, int from)
{
    int id = attach(to, from);
    remove_seg(id);
    return id;
}

int main(void)
{
    char *base = t_mkdtemp("witness-sysv-quick");
    char trace[512];
    snprintf(trace, sizeof trace, "%s/trace", base);
    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, PT_WITNESS_NO_THREAD | PT_WITNESS_NO_EXECS, &w, why,
                              sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return 1;
    int wto[2], wfrom[2], uto[2], ufrom[2];
    pid_t watched = start_attacher(wto, wfrom), unwatched = start_attacher(uto, ufrom);
    CHECK(pt_witness_watch_pid(w, watched) == 0, "watch %d", (int)watched); /* the first look */

    struct pt_witness_stats st;
    int held = attach_and_remove(wto[1], wfrom[0]);
    int other = attach_and_remove(uto[1], ufrom[0]);
    pt_witness_scan_now(w); /* both new, both removed */
    pt_witness_stats(w, &st);
    CHECK(st.shm_removed == 1, "%llu removals recorded of one held by a watched process and one "
          "held by another, each made and removed since the last look",
          (unsigned long long)st.shm_removed);
    pt_witness_scan_now(w); /* still there, still attached: nothing new */
    pt_witness_stats(w, &st);
    CHECK(st.shm_removed == 1, "the removal recorded again at the next look (%llu)",
          (unsigned long long)st.shm_removed);

    /* (2) watched only after the look that noticed the removal */
    int lto[2], lfrom[2];
    pid_t late = start_attacher(lto, lfrom);
    int late_id = attach(lto[1], lfrom[0]), other2 = attach(uto[1], ufrom[0]);
    pt_witness_scan_now(w); /* seen intact */
    remove_seg(late_id);
    remove_seg(other2);
    pt_witness_scan_now(w); /* noticed: no watched process attached */
    pt_witness_stats(w, &st);
    CHECK(st.shm_removed == 1, "a removal recorded with no watched process attached (%llu)",
          (unsigned long long)st.shm_removed);
    CHECK(pt_witness_watch_pid(w, late) == 0, "watch %d", (int)late);
    pt_witness_scan_now(w);
    pt_witness_scan_now(w);
    pt_witness_stats(w, &st);
    CHECK(st.shm_removed == 2, "%llu removals recorded once the process attached to %d was "
          "watched (1 before)", (unsigned long long)st.shm_removed, late_id);

    CHECK(write(lto[1], "q", 1) == 1 && w_wait(late) == 0, "the attacher watched late");
    CHECK(write(wto[1], "q", 1) == 1 && w_wait(watched) == 0, "the watched attacher");
    CHECK(write(uto[1], "q", 1) == 1 && w_wait(unwatched) == 0, "the other attacher");
    pt_witness_stop(w);
    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    unsigned found = 0, found_late = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ev[i].id != PT_EV_witnessed_shm)
            continue;
        CHECK(ev[i].shmid != other && ev[i].shmid != other2,
              "the removal of %d, attached by no watched process, recorded", ev[i].shmid);
        if (ev[i].shmid == late_id) {
            found_late++;
            CHECK(ev[i].holder == (uint32_t)late && ev[i].seen_ts != 0,
                  "the removal of %d: holder %u (the process watched late is %d), seen intact "
                  "at %llu", late_id, ev[i].holder, (int)late, (unsigned long long)ev[i].seen_ts);
        }
        if (ev[i].shmid == held) {
            found++;
            /* seen_ts 0: no look saw it intact (the analyzer dates it when it was noticed) */
            CHECK(ev[i].holder == (uint32_t)watched && ev[i].nattch == 1 && ev[i].seen_ts == 0,
                  "the removal of %d: holder %u (the watched process is %d), %u attached, seen "
                  "intact at %llu",
                  held, ev[i].holder, (int)watched, ev[i].nattch,
                  (unsigned long long)ev[i].seen_ts);
        }
    }
    CHECK(found == 1, "the removal of %d, attached by the watched process, recorded %u times", held,
          found);
    CHECK(found_late == 1, "the removal of %d, attached by the process watched late, recorded %u "
          "times", late_id, found_late);
    if (t_failures)
        w_dump(ev, n);
    free(ev);
    close(wto[1]);
    close(wfrom[0]);
    close(uto[1]);
    close(ufrom[0]);
    close(lto[1]);
    close(lfrom[0]);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}
