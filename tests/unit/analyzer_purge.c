/* analyzer_purge.c — cross-namespace-purge on hand-built traces: every cause, victim linkage, and
 * the cases that must give no finding (holder gone, deleter is holder, count really zero, pid
 * reuse) or an uncertain one (lost events around the delete). */
#include "tests/unit/analyzer_scn.h"

#define INUSE_A "Local\\MAPISIM_InUse_S-1-5-21-1000"
#define INUSE_B "Local\\MAPISIM_InUse_S-1-5-21-1001"
#define P "EvtSvc-4242"
#define P_INO 700

static const uint64_t sweep_p[] = {P_INO, 0};
static const char *const sweep_names[] = {P};

/* The service (pid 100) logs on to P and marks it; returns its lib with the session handle. */
static uint64_t service(struct scn *s, struct lib *l, struct who w, const char *inuse,
                        uint64_t inuse_ino)
{
    proc(s, 100, w, "/usr/lib/eventsvc");
    *l = mapi_init(s, 100, inuse, inuse_ino, NULL, NULL, NULL);
    uint64_t session = logon(s, l, P, P_INO);
    mark(s, l, P, 900);
    return session;
}

/* The failing OpenMsgStore of the service: key handle of P is the last handle logon opened. */
static void victim(struct scn *s, uint64_t session)
{
    open_msg_store_fails(s, 100, session, 0x5000 + 2);
}

static void expect_one(struct scn *s, const char *rule, const char *cause)
{
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    if (pt_analyzer_nfindings(s->a) < 1)
        return;
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), rule);
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), cause);
    CHECK(pt_analyzer_finding_deleter_pid(s->a, 0) == 200);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 100);
}

static void test_identity_split(void)
{
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.start = 2), "/usr/bin/mapiclient");
    cred(s, 200, 1000, 1001); /* ImpersonateLoggedOnUser */
    mapi_init(s, 200, INUSE_B, 501, NULL, sweep_p, sweep_names);
    victim(s, session);
    finish(s);
    expect_one(s, "cross-namespace-purge", "identity-split");
    CHECK_STR(pt_analyzer_finding_severity(s->a, 0), "critical");
    CHECK(pt_analyzer_finding_has_victim(s->a, 0));
    CHECK(!pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

static void test_session_split(void)
{
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    victim(s, session);
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(pt_analyzer_finding_has_victim(s->a, 0));
    scn_free(s);
}

static void test_global_name_same_object_other_session(void)
{
    /* bug 2 fixed: Global\ name, same object in both sessions, profile held: the library would not
     * delete; if something did anyway the views agree and the cause is same-view. */
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), "Global\\MAPISIM_InUse_S-1-5-21-1000", 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, "Global\\MAPISIM_InUse_S-1-5-21-1000", 500, NULL, sweep_p, sweep_names);
    victim(s, session);
    finish(s);
    expect_one(s, "cross-namespace-purge", "same-view");
    scn_free(s);
}

static void test_kernel_split(void)
{
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), "Global\\MAPISIM_InUse_S-1-5-21-1000", 500);
    proc(s, 200, WHO(.mnt = 4026532200ull, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, "Global\\MAPISIM_InUse_S-1-5-21-1000", 501, NULL, sweep_p, sweep_names);
    victim(s, session);
    finish(s);
    expect_one(s, "cross-namespace-purge", "kernel-namespace-split");
    scn_free(s);
}

static void test_no_check_without_view(void)
{
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleaner");
    /* a bare RegDeleteTreeA, no MAPI, no in-use object: a clean-up that checks nothing */
    uint64_t prof = reg_open(s, 200, 0, 0, HKCU, PROFILES, PROFILES_INO);
    reg_delete_tree(s, 200, 0, prof, P, P_INO);
    finish(s);
    expect_one(s, "cross-namespace-purge", "no-liveness-check");
    CHECK(!pt_analyzer_finding_has_victim(s->a, 0));
    CHECK_STR(pt_analyzer_finding_severity(s->a, 0), "high");
    scn_free(s);
}

static void test_unknown_when_the_deleters_view_is_unrecorded(void)
{
    /* inside MAPIInitialize, which consults the in-use list, but no mapping was recorded */
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    uint64_t enter = s->ts + 1;
    uint64_t prof = reg_open(s, 200, 1, 0, HKCU, PROFILES, PROFILES_INO);
    reg_delete_tree(s, 200, 1, prof, P, P_INO);
    struct pt_event *e = ev_begin(s, PT__ID(MAPIInitialize), 200, 0);
    e->ts_enter = enter;
    ev_end(s);
    finish(s);
    expect_one(s, "cross-namespace-purge", "unknown");
    CHECK(strstr(s->a->findings[0].why, "could not be compared"));
    CHECK(s->a->findings[0].consult == PT__CONSULT_UNSEEN);
    scn_free(s);
}

static void test_holder_exited_before_delete(void)
{
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    EXIT(s, 100); /* just before the sweep */
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_killed_holder_same_view_reaped_late(void)
{
    /* crashed-holder: SIGKILLed, its `reaped` comes after the T3 sweep of the same view */
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    uint64_t last = s->ts;
    proc(s, 200, WHO(.start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 500, NULL, sweep_p, sweep_names);
    reaped(s, 100, last);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    CHECK(s->a->gone_holders >= 1);
    scn_free(s);
}

static void test_killed_holder_other_view_is_uncertain(void)
{
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    uint64_t last = s->ts;
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    reaped(s, 100, last);
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

static void test_killed_holder_alive_after_delete_is_a_finding(void)
{
    /* same view, killed later, but it was seen alive after the delete: a real finding */
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 500, NULL, sweep_p, sweep_names);
    victim(s, session);
    reaped(s, 100, s->ts);
    finish(s);
    expect_one(s, "cross-namespace-purge", "same-view");
    CHECK(!pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

static void test_deleted_by_holder_itself(void)
{
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), INUSE_A, 500);
    release(s, &a, session, P, P_INO); /* T2 */
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    CHECK(s->a->self_deletes >= 1);
    scn_free(s);
}

static void test_count_really_zero(void)
{
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), INUSE_A, 500);
    release(s, &a, session, P, 0); /* released without deleting; process stays */
    reg_close(s, 100, 0, 0x5000 + 2);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_two_holders(void)
{
    struct scn *s = scn_new();
    struct lib a, c;
    uint64_t sa = service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 300, WHO(.start = 3), "/usr/bin/outlook");
    c = mapi_init(s, 300, INUSE_A, 500, NULL, NULL, NULL);
    uint64_t sc = logon(s, &c, P, P_INO);
    (void)sc;
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    victim(s, sa);
    finish(s);
    /* one deletion, one finding, both holders; the one seen alive after it (failing) first */
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    const struct pt__finding *f = &s->a->findings[0];
    CHECK(f->nholders == 2);
    if (f->nholders == 2) {
        CHECK(s->a->procs[f->holders[0].proc]->pid == 100);
        CHECK(s->a->procs[f->holders[1].proc]->pid == 300);
        CHECK(f->holders[0].live.how == PT__LIVE_LATER);
        CHECK(f->holders[1].live.how == PT__LIVE_SILENT);
    }
    /* only the service failed */
    CHECK(f->nvictims == 1 && s->a->procs[s->a->victims[f->victims[0]].proc]->pid == 100);
    CHECK(!pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

/* One MAPIInitialize purging two profiles of two services: two deletions, two findings. */
static void test_one_sweep_two_profiles(void)
{
    static const uint64_t sweep[] = {P_INO, 701, 0};
    static const char *const names[] = {P, "Other"};
    struct scn *s = scn_new();
    struct lib a, b;
    uint64_t sa = service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 300, WHO(.start = 3), "/usr/lib/othersvc");
    b = mapi_init(s, 300, INUSE_A, 500, NULL, NULL, NULL);
    uint64_t sb = logon(s, &b, "Other", 701);
    mark(s, &b, "Other", 901);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep, names);
    victim(s, sa);
    open_msg_store_fails(s, 300, sb, b.profiles + 3);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 2);
    for (unsigned i = 0; i < pt_analyzer_nfindings(s->a) && i < 2; i++) {
        CHECK(s->a->findings[i].nholders == 1 && s->a->findings[i].nvictims == 1);
        CHECK(pt_analyzer_finding_holder_pid(s->a, i) == (i ? 300u : 100u));
    }
    scn_free(s);
}

static void test_two_holders_one_releases_and_deletes(void)
{
    /* T2 by one holder while another holder of the same view still has it: same-view */
    struct scn *s = scn_new();
    struct lib a, c;
    uint64_t sa = service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 300, WHO(.start = 3), "/usr/bin/outlook");
    c = mapi_init(s, 300, INUSE_A, 500, NULL, NULL, NULL);
    uint64_t sc = logon(s, &c, P, P_INO);
    release(s, &c, sc, P, P_INO);
    victim(s, sa);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "same-view");
    CHECK(pt_analyzer_finding_deleter_pid(s->a, 0) == 300);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 100);
    scn_free(s);
}

static void test_pid_reuse(void)
{
    /* the holder vanished without trace and its pid came back as another process: not a holder */
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 100, WHO(.start = 77), "/bin/sh");
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_pid_reuse_new_process_is_holder(void)
{
    /* the new process with the reused pid logs on itself: it is the holder, not the old one */
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    EXIT(s, 100);
    struct pt_event *e;
    proc(s, 100, WHO(.start = 77), "/usr/lib/eventsvc");
    struct lib a2 = mapi_init(s, 100, INUSE_A, 500, NULL, NULL, NULL);
    logon(s, &a2, P, P_INO);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    (void)e;
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(s->a->nprocs == 3);
    if (pt_analyzer_nfindings(s->a) == 1) {
        const struct pt__finding *f = &s->a->findings[0];
        CHECK(s->a->procs[f->holder]->start_time == 77);
    }
    scn_free(s);
}

static void test_lost_events_in_holder_make_it_uncertain(void)
{
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    LOST(s, 100, 12); /* a Release may be among them */
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

static void test_lost_events_in_deleter_make_it_uncertain(void)
{
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    uint64_t enter = s->ts + 1;
    struct lib b = {200, reg_open(s, 200, 1, 1, HKCU, PROFILES, PROFILES_INO), 0};
    file_mapping(s, 200, 1, INUSE_A, "/x", 501);
    LOST(s, 200, 3);
    reg_delete_tree(s, 200, 1, b.profiles, P, P_INO);
    struct pt_event *e = ev_begin(s, PT__ID(MAPIInitialize), 200, 0);
    e->ts_enter = enter;
    ev_end(s);
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

static void test_lost_events_elsewhere_stay_certain(void)
{
    struct scn *s = scn_new();
    struct lib a;
    LOST(s, 100, 5); /* before the holder even logged on */
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    EXIT(s, 100); /* alive after the delete */
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(!pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

static void test_silent_holder_without_collector(void)
{
    /* no `reaped` (no collector): the holder just stops; same view -> the library saw it gone */
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 500, NULL, sweep_p, sweep_names);
    EXIT(s, 200);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    CHECK(s->a->gone_holders >= 1);
    scn_free(s);
}

static void test_silent_holder_other_view_is_uncertain(void)
{
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(pt_analyzer_finding_uncertain(s->a, 0));
    scn_free(s);
}

static void test_reaped_pre_exec_ring_is_not_death(void)
{
    /* the collector reaps the ring the holder's pre-exec image left open (its own stream); the
     * holder lives on in its new ring: still a holder */
    struct scn *s = scn_new();
    struct lib a;
    uint64_t before_exec = s->ts;
    uint64_t session = service(s, &a, WHO(), INUSE_A, 500);
    struct pt_event *e = ev_begin(s, PT_EV_reaped, 100, 0);
    e->stream = 9999;
    pt__synth_u(e, "last_ts", before_exec);
    ev_end(s);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    victim(s, session);
    EXIT(s, 100);
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(!pt_analyzer_finding_uncertain(s->a, 0));
    CHECK(s->a->nprocs == 2); /* the reaped event made no process of its own */
    scn_free(s);
}

static void test_exec_in_new_stream_is_same_process(void)
{
    struct scn *s = scn_new();
    struct lib a;
    proc(s, 100, WHO(), "/bin/sh");
    struct pt_event *e = ev_begin(s, PT_EV_process, 100, 0); /* after exec: a new ring */
    e->stream = 7777;
    pt__synth_u(e, "pid", 100);
    pt__synth_u(e, "global_pid", 100);
    pt__synth_u(e, "start_time", 1);
    pt__synth_u(e, "sessionid", 3);
    pt__synth_s(e, "exe", "/usr/lib/eventsvc");
    ev_end(s);
    a = mapi_init(s, 100, INUSE_A, 500, NULL, NULL, NULL);
    uint64_t session = logon(s, &a, P, P_INO);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    victim(s, session);
    finish(s);
    CHECK(s->a->nprocs == 2);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    scn_free(s);
}

static void test_failure_before_delete_is_not_victim(void)
{
    struct scn *s = scn_new();
    struct lib a;
    uint64_t session = service(s, &a, WHO(), INUSE_A, 500);
    victim(s, session); /* an unrelated earlier failure */
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    finish(s);
    expect_one(s, "cross-namespace-purge", "session-namespace-split");
    CHECK(!pt_analyzer_finding_has_victim(s->a, 0));
    scn_free(s);
}

static void test_attribution_to_enclosing_call(void)
{
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a, WHO(), INUSE_A, 500);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep_p, sweep_names);
    finish(s);
    CHECK(s->a->nfindings == 1);
    if (s->a->nfindings == 1) {
        const struct pt__del *d = &s->a->dels[s->a->findings[0].del];
        CHECK_STR(d->via, "MAPIInitialize");
        CHECK_STR(d->api, "RegDeleteTreeA");
        CHECK_STR(d->call, "unlinkat");
        CHECK(d->api_args && strstr(d->api_args, "Profiles\", \"" P "\"") == NULL);
        CHECK(d->api_args && strstr(d->api_args, "\\Profiles, \"" P "\""));
        CHECK(d->nframes == 2);
    }
    scn_free(s);
}

int main(void)
{
    RUN(test_identity_split);
    RUN(test_session_split);
    RUN(test_global_name_same_object_other_session);
    RUN(test_kernel_split);
    RUN(test_no_check_without_view);
    RUN(test_unknown_when_the_deleters_view_is_unrecorded);
    RUN(test_holder_exited_before_delete);
    RUN(test_killed_holder_same_view_reaped_late);
    RUN(test_killed_holder_other_view_is_uncertain);
    RUN(test_killed_holder_alive_after_delete_is_a_finding);
    RUN(test_deleted_by_holder_itself);
    RUN(test_count_really_zero);
    RUN(test_two_holders);
    RUN(test_one_sweep_two_profiles);
    RUN(test_two_holders_one_releases_and_deletes);
    RUN(test_pid_reuse);
    RUN(test_pid_reuse_new_process_is_holder);
    RUN(test_lost_events_in_holder_make_it_uncertain);
    RUN(test_lost_events_in_deleter_make_it_uncertain);
    RUN(test_lost_events_elsewhere_stay_certain);
    RUN(test_silent_holder_without_collector);
    RUN(test_silent_holder_other_view_is_uncertain);
    RUN(test_reaped_pre_exec_ring_is_not_death);
    RUN(test_exec_in_new_stream_is_same_process);
    RUN(test_failure_before_delete_is_not_victim);
    RUN(test_attribution_to_enclosing_call);
    return failures ? 1 : 0;
}
