/* analyzer_inherit.c — what a fork child inherits, on hand-built traces: a child holds its parent's
 * shared mappings and SysV attachments (whichever of the parent's fork and the child's first event
 * comes first), until it unmaps, detaches or execs; a removal by another program while only the
 * children hold it is a finding with them as holders; the parent (or its program instance)
 * removing what only its children inherited is not; a child whose first image was exec'd
 * inherits nothing, even of its parent's executable; a witnessed SysV removal is dated the earliest
 * it can have happened and counts the holds live then, and the holder the witness names. */
#define _GNU_SOURCE
#include <stdio.h>

#include "analyzer/checkpoint.h"
#include "tests/unit/analyzer_scn.h"

#define SEG_INO 4711
#define SHMID 65538
#define ADDR 0x7f0000200000ull
#define IPC_NS 4026531839ull

/* fork by parent, entered at `enter` (0: just before it returns), which made child. */
static void fork_at(struct scn *s, uint32_t parent, uint32_t child, uint64_t enter)
{
    struct pt_event *e = ev_begin(s, PT__ID(fork), parent, 0);
    if (enter)
        e->ts_enter = enter;
    e->ret = child;
    ev_end(s);
}

static void fork_ev(struct scn *s, uint32_t parent, uint32_t child)
{
    fork_at(s, parent, child, 0);
}

static void shmat_ev(struct scn *s, uint32_t pid)
{
    struct pt_event *e = ev_begin(s, PT__ID(shmat), pid, 0);
    pt__synth_u(e, "shmid", SHMID);
    e->ret = (int64_t)ADDR;
    ev_end(s);
}

static void shmdt_ev(struct scn *s, uint32_t pid)
{
    struct pt_event *e = ev_begin(s, PT__ID(shmdt), pid, 0);
    pt__synth_u(e, "shmaddr", ADDR);
    ev_end(s);
}

static void rmid_ev(struct scn *s, uint32_t pid)
{
    struct pt_event *e = ev_begin(s, PT__ID(shmctl), pid, 0);
    pt__synth_u(e, "shmid", SHMID);
    pt__synth_u(e, "cmd", 0);
    ev_end(s);
}

static void exit_ev(struct scn *s, uint32_t pid)
{
    struct pt_event *e = ev_begin(s, PT_EV_exit, pid, 0);
    pt__synth_u(e, "status", 0);
    ev_end(s);
}

/* The witness's scan noticed SHMID removed since the scan at `seen` (0: no scan saw it intact),
 * by someone it could not name: `holder` had it in its maps at the scan, lpid attached or
 * detached last, nattch were attached. */
static void witnessed_rmid_seen(struct scn *s, uint32_t holder, uint32_t lpid, uint32_t nattch,
                                uint64_t seen)
{
    struct pt_event *e = ev_begin(s, PT_EV_witnessed_shm, 1, 0);
    pt__synth_s(e, "via", "sysv-scan");
    pt__synth_u(e, "shmid", SHMID);
    pt__synth_u(e, "ipc_ns", IPC_NS);
    pt__synth_u(e, "size", 4096);
    pt__synth_u(e, "nattch", nattch);
    pt__synth_u(e, "lpid", lpid);
    pt__synth_u(e, "holder", holder);
    pt__synth_u(e, "seen_ts", seen);
    pt__synth_u(e, "attributed", 0);
    pt__synth_s(e, "ident", "none");
    ev_end(s);
}

/* ... since the scan at `seen` (0: just before) */
static void witnessed_rmid_since(struct scn *s, uint32_t holder, uint32_t lpid, uint32_t nattch,
                                 uint64_t seen)
{
    witnessed_rmid_seen(s, holder, lpid, nattch, seen ? seen : s->ts);
}

static void witnessed_rmid(struct scn *s, uint32_t holder, uint32_t lpid, uint32_t nattch)
{
    witnessed_rmid_since(s, holder, lpid, nattch, 0);
}

static const struct pt__hold *holder_hold(struct scn *s, unsigned f, unsigned k)
{
    return &s->a->cands[s->a->findings[f].holders[k].cand].h;
}

static char *render(struct scn *s, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct pt_report_opts o = {0, 0};
    CHECK((json ? pt_report_json(f, s->a, &o) : pt_report_text(f, s->a, &o)) == 0);
    fclose(f);
    return buf;
}

/* PostgreSQL's shape: the postmaster attaches, forks its backends (no shmat of theirs), detaches at
 * shutdown; then the removal is noticed, while only the backends still have it attached. */
static void sysv_children_hold(int child_first)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/lib/postgresql/bin/postgres");
    shmat_ev(s, 100);
    for (uint32_t c = 101; c <= 103; c++) {
        uint64_t enter = s->ts + 1;
        if (child_first) /* its first event before the parent's fork returned there */
            proc_child(s, c, 100, WHO(.start = c), "/usr/lib/postgresql/bin/postgres");
        fork_at(s, 100, c, enter);
        if (!child_first)
            proc_child(s, c, 100, WHO(.start = c), "/usr/lib/postgresql/bin/postgres");
    }
    shmdt_ev(s, 100);
    witnessed_rmid(s, 102, 100, 3);
    for (uint32_t c = 101; c <= 103; c++)
        exit_ev(s, c);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "deleted-while-held");
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "no-liveness-check");
    CHECK(pt_analyzer_finding_nholders(s->a, 0) == 3);
    for (unsigned k = 0; k < pt_analyzer_finding_nholders(s->a, 0) && k < 3; k++) {
        CHECK(holder_hold(s, 0, k)->from_pid == 100);
        CHECK(!holder_hold(s, 0, k)->seen);
        CHECK_STR(holder_hold(s, 0, k)->api, "shmat");
    }
    char *t = render(s, 0);
    CHECK(strstr(t, "pids 101, 102, 103 (postgres) shmat -> 0x7f0000200000: have it attached, "
                    "inherited from pid 100 at fork"));
    free(t);
    t = render(s, 1);
    CHECK(strstr(t, "\"inherited_from\":100"));
    CHECK(strstr(t, "\"seen_by_witness\":false"));
    free(t);
    scn_free(s);
}

static void test_sysv_children_hold_fork_first(void)
{
    sysv_children_hold(0);
}

static void test_sysv_children_hold_child_first(void)
{
    sysv_children_hold(1);
}

/* The inherited holds survive a checkpoint: a clone made before the removal finds them. */
static void test_checkpoint_carries_inherited(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/sbin/daemon");
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/sbin/daemon");
    shmdt_ev(s, 100);
    char why[256];
    struct pt_analyzer *c = pt__checkpoint_clone(s->a, why, sizeof why);
    CHECK(c);
    if (!c) {
        fprintf(stderr, "clone: %s\n", why);
        scn_free(s);
        return;
    }
    pt_analyzer_free(s->a);
    s->a = c;
    witnessed_rmid(s, 101, 100, 1);
    exit_ev(s, 101);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 101);
    CHECK(pt_analyzer_nfindings(s->a) && holder_hold(s, 0, 0)->from_pid == 100);
    scn_free(s);
}

/* A POSIX shared-memory object mapped MAP_SHARED before a fork: the child holds it after the
 * parent unmapped it; another program's shm_unlink takes it away from the child. */
static void test_posix_child_holds_after_parent_unmapped(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    shm_map(s, 100, "/seg", SEG_INO, ADDR);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/bin/server");
    munmap_ev(s, 100, ADDR);
    proc(s, 200, WHO(.start = 3), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    shm_open_fails(s, 101, "/seg");
    exit_ev(s, 101);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 101);
    CHECK(pt_analyzer_finding_deleter_pid(s->a, 0) == 200);
    CHECK(pt_analyzer_nfindings(s->a) && holder_hold(s, 0, 0)->from_pid == 100);
    char *t = render(s, 0);
    CHECK(strstr(t,
                 "pid 101 (server) mmap -> 0x7f0000200000: has it mapped, inherited from pid 100 "
                 "at fork"));
    free(t);
    scn_free(s);
}

/* The parent removes what only the children it forked still map: its own business. */
static void test_parent_removes_what_children_inherited(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    shm_map(s, 100, "/seg", SEG_INO, ADDR);
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/bin/server");
    fork_ev(s, 100, 102);
    proc_child(s, 102, 100, WHO(.start = 3), "/usr/bin/server");
    munmap_ev(s, 100, ADDR);
    shm_unlink_ev(s, 100, "/seg", SEG_INO);
    rmid_ev(s, 100); /* while still attached itself */
    /* a sibling of the same program instance removing it is the instance's business too */
    shm_map(s, 100, "/seg2", SEG_INO + 1, ADDR + 0x100000);
    fork_ev(s, 100, 103);
    proc_child(s, 103, 100, WHO(.start = 4), "/usr/bin/server");
    shm_unlink_ev(s, 102, "/seg2", SEG_INO + 1);
    exit_ev(s, 101);
    exit_ev(s, 102);
    exit_ev(s, 103);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

/* The child's own unmap, detach or exec ends what it inherited. */
static void test_child_lets_go(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    shm_map(s, 100, "/seg", SEG_INO, ADDR + 0x100000);
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/bin/server");
    fork_ev(s, 100, 102);
    proc_child(s, 102, 100, WHO(.start = 3), "/usr/bin/server");
    exit_ev(s, 100);
    munmap_ev(s, 101, ADDR + 0x100000);
    shmdt_ev(s, 101);
    struct pt_event *e = ev_begin(s, PT__ID(execve), 102, 0);
    pt__synth_s(e, "pathname", "/bin/true");
    ev_end(s);
    proc(s, 200, WHO(.start = 5), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    rmid_ev(s, 200);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

/* No fork on record (a spawned program: its first image is an exec'd one), or another program's
 * first image: nothing inherited. */
static void test_no_fork_no_inheritance(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    shm_map(s, 100, "/seg", SEG_INO, ADDR);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/bin/server"); /* posix_spawn'ed */
    fork_ev(s, 100, 102);
    proc_child(s, 102, 100, WHO(.start = 3), "/usr/bin/other"); /* exec'd before it was traced */
    munmap_ev(s, 100, ADDR);
    proc(s, 200, WHO(.start = 4), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

/* A child forked after its parent's mapping was deleted inherits a hold no longer found by that
 * identity: a new object that reuses the inode number is not the child's. */
static void test_child_forked_after_deletion(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    shm_map(s, 100, "/seg", SEG_INO, ADDR);
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 3), "/usr/bin/server");
    proc(s, 300, WHO(.start = 4), "/usr/bin/other");
    shm_map(s, 300, "/new", SEG_INO, ADDR);
    shm_unlink_ev(s, 300, "/new", SEG_INO);
    exit_ev(s, 100);
    exit_ev(s, 101);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1); /* the first unlink, of 100's mapping only */
    CHECK(pt_analyzer_finding_nholders(s->a, 0) == 1);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 100);
    scn_free(s);
}

/* The witness names a holder that has no hold on record (attached by a clone the trace did not
 * see): still evidence it had the segment attached at the removal. Not when the holder it names
 * is the last attacher (that is also how it names the process whose detach made a removed
 * segment vanish, which may have come before the removal), and not a hold that ended before the
 * scan that still saw the segment intact. */
static void test_witness_named_holder(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    proc(s, 101, WHO(.start = 2), "/usr/bin/worker");
    witnessed_rmid(s, 101, 100, 1);
    exit_ev(s, 101);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 101);
    CHECK(pt_analyzer_nfindings(s->a) && holder_hold(s, 0, 0)->seen);
    char *t = render(s, 0);
    CHECK(strstr(t, "pid 101 (worker) had it attached when it was removed: the witness found it"));
    free(t);
    t = render(s, 1);
    CHECK(strstr(t, "\"seen_by_witness\":true"));
    free(t);
    scn_free(s);

    s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    witnessed_rmid(s, 100, 100, 1); /* the last attacher: maybe detached before the removal */
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);

    s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    shmat_ev(s, 100);
    shmdt_ev(s, 100); /* before the scan that still saw the segment intact */
    witnessed_rmid(s, 0, 100, 1);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

/* The scan that notices a removal comes up to its interval late (later on a loaded machine): the
 * removal is dated the earliest it can have happened, the scan before, and what was held then is
 * held at it. The failing real_postgres_removeipc run's shape: the scan before saw the segment
 * intact, the clean-up removed it, then the server shut down (backends exited, the postmaster
 * detached, its own IPC_RMID failed) before the scan that noticed it had vanished. */
static void test_scan_late_after_everyone_let_go(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/lib/postgresql/bin/postgres");
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/lib/postgresql/bin/postgres");
    fork_ev(s, 100, 102);
    proc_child(s, 102, 100, WHO(.start = 3), "/usr/lib/postgresql/bin/postgres");
    uint64_t seen = tick(s); /* the last scan that saw it intact */
    fork_ev(s, 100, 103);    /* forked after it: not known to have held it at the removal */
    proc_child(s, 103, 100, WHO(.start = 4), "/usr/lib/postgresql/bin/postgres");
    exit_ev(s, 103);
    exit_ev(s, 101);
    exit_ev(s, 102);
    shmdt_ev(s, 100);
    struct pt_event *e = ev_begin(s, PT__ID(shmctl), 100, 0);
    pt__synth_u(e, "shmid", SHMID);
    pt__synth_u(e, "cmd", 0);
    e->ret = -1;
    e->err = EINVAL; /* gone already */
    ev_end(s);
    exit_ev(s, 100);
    witnessed_rmid_since(s, 103, 103, 3, seen); /* vanished: its last attacher named */
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_nholders(s->a, 0) == 3);
    CHECK(pt_analyzer_finding_uncertain(s->a, 0));
    CHECK(s->a->nfindings && s->a->dels[s->a->findings[0].del].ts == seen + 1);
    for (unsigned k = 0; k < pt_analyzer_finding_nholders(s->a, 0) && k < 3; k++)
        CHECK(s->a->procs[holder_hold(s, 0, k)->proc]->pid != 103 &&
              s->a->cands[s->a->findings[0].holders[k].cand].ended);
    char *t = render(s, 0);
    CHECK(strstr(t, "removed at the earliest here: the scan of the segment table before saw it "
                    "intact"));
    CHECK(strstr(t, "every holder let go of the segment in between"));
    free(t);
    scn_free(s);

    /* one holder still attached when the scan noticed it: certain */
    s = scn_new();
    proc(s, 100, WHO(), "/usr/sbin/daemon");
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/sbin/daemon");
    seen = tick(s);
    shmdt_ev(s, 100);
    witnessed_rmid_since(s, 101, 100, 1, seen);
    exit_ev(s, 101);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_nholders(s->a, 0) == 2);
    CHECK(!pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

/* The scan noticed a removal a traced process made itself (the postmaster's IPC_RMID at its
 * shutdown, after its children exited): that one is in its own trace, no finding. */
static void test_scan_repeats_a_traced_removal(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/lib/postgresql/bin/postgres");
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/lib/postgresql/bin/postgres");
    uint64_t seen = tick(s);
    exit_ev(s, 101);
    shmdt_ev(s, 100);
    rmid_ev(s, 100);
    exit_ev(s, 100);
    witnessed_rmid_since(s, 100, 100, 2, seen);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

/* A fork child that exec'd before it recorded anything (the shim made no start of its own,
 * preload/fork_start.c) appears first as its exec'd image, exec=1 in its process event, here of
 * the parent's own executable (a shell exec'ing itself): it inherits no mapping, so another
 * program's shm_unlink after the parent unmapped is no finding; and its fork waits no longer. */
static void test_exec_image_inherits_nothing(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/server");
    shm_map(s, 100, "/seg", SEG_INO, ADDR);
    fork_ev(s, 100, 101);
    CHECK(s->a->nforks == 1);
    struct pt_event *e = ev_begin(s, PT_EV_process, 101, 0);
    pt__synth_u(e, "pid", 101);
    pt__synth_u(e, "ppid", 100);
    pt__synth_u(e, "global_pid", 101);
    pt__synth_u(e, "start_time", 2);
    pt__synth_u(e, "uid", 1000);
    pt__synth_u(e, "euid", 1000);
    pt__synth_u(e, "sessionid", 3);
    pt__synth_u(e, "exec", 1);
    pt__synth_s(e, "exe", "/usr/bin/server");
    ev_end(s);
    CHECK(s->a->nforks == 0);
    munmap_ev(s, 100, ADDR);
    proc(s, 200, WHO(.start = 3), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    exit_ev(s, 101);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

/* A segment made and removed between two scans, still attached by a fork child when the second
 * noticed it (no scan saw it intact: seen_ts 0): a removal by another program is a finding whose
 * one holder is the child found attached (the parent, which detached before the scan, is not
 * known to have held it at the removal), dated when noticed; one the parent made itself, in its
 * own trace, is no finding. */
static void test_scan_never_saw_it_intact(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/forker");
    tick(s); /* the scan before: no such segment yet */
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/bin/forker");
    shmdt_ev(s, 100);
    witnessed_rmid_seen(s, 101, 100, 1, 0);
    uint64_t noticed = s->ts;
    exit_ev(s, 101);
    exit_ev(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_nholders(s->a, 0) == 1);
    CHECK(s->a->nfindings && s->a->procs[holder_hold(s, 0, 0)->proc]->pid == 101);
    CHECK(s->a->nfindings && s->a->dels[s->a->findings[0].del].ts <= noticed &&
          s->a->dels[s->a->findings[0].del].ts > holder_hold(s, 0, 0)->ts);
    scn_free(s);

    /* the parent removed it itself, traced, before the scan noticed it */
    s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/forker");
    tick(s);
    shmat_ev(s, 100);
    fork_ev(s, 100, 101);
    proc_child(s, 101, 100, WHO(.start = 2), "/usr/bin/forker");
    shmdt_ev(s, 100);
    rmid_ev(s, 100);
    witnessed_rmid_seen(s, 101, 100, 1, 0);
    exit_ev(s, 101);
    exit_ev(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

int main(void)
{
    RUN(test_sysv_children_hold_fork_first);
    RUN(test_sysv_children_hold_child_first);
    RUN(test_checkpoint_carries_inherited);
    RUN(test_posix_child_holds_after_parent_unmapped);
    RUN(test_exec_image_inherits_nothing);
    RUN(test_parent_removes_what_children_inherited);
    RUN(test_child_lets_go);
    RUN(test_no_fork_no_inheritance);
    RUN(test_child_forked_after_deletion);
    RUN(test_witness_named_holder);
    RUN(test_scan_late_after_everyone_let_go);
    RUN(test_scan_repeats_a_traced_removal);
    RUN(test_scan_never_saw_it_intact);
    return failures ? 1 : 0;
}
