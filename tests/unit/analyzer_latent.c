/* analyzer_latent.c — latent-purge-hazard on hand-built traces: a marked, held profile and another
 * process with a different in-use view on the same store and marks key. */
#include "tests/unit/analyzer_scn.h"

#define INUSE_A "Local\\MAPISIM_InUse_S-1-5-21-1000"
#define P "EvtSvc-1"

static uint64_t service(struct scn *s, struct lib *l)
{
    proc(s, 100, WHO(), "/usr/lib/eventsvc");
    *l = mapi_init(s, 100, INUSE_A, 500, NULL, NULL, NULL);
    return logon(s, l, P, 700);
}

static void test_other_session_before_mark(void)
{
    struct scn *s = scn_new();
    struct lib a;
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/outlook");
    mapi_init(s, 200, INUSE_A, 501, NULL, NULL, NULL); /* nothing marked yet: nothing swept */
    service(s, &a);
    mark(s, &a, P, 900);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "latent-purge-hazard");
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "session-namespace-split");
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 100);
    CHECK(pt_analyzer_finding_deleter_pid(s->a, 0) == 200);
    scn_free(s);
}

static void test_other_marks_key_is_safe(void)
{
    /* bug-1 fix: the impersonating process looks at its own `Deleted Profiles <crc>` */
    struct scn *s = scn_new();
    struct lib a;
    proc(s, 200, WHO(.start = 2), "/usr/bin/client");
    cred(s, 200, 1000, 1001);
    mapi_init(s, 200, "Local\\MAPISIM_InUse_S-1-5-21-1001", 501, "Deleted Profiles 1A2B3C4D", NULL,
              NULL);
    service(s, &a);
    mark(s, &a, P, 900);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_same_view_is_safe(void)
{
    struct scn *s = scn_new();
    struct lib a;
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/outlook");
    mapi_init(s, 200, "Global\\MAPISIM_InUse_S-1-5-21-1000", 500, NULL, NULL, NULL);
    proc(s, 100, WHO(), "/usr/lib/eventsvc");
    a = mapi_init(s, 100, "Global\\MAPISIM_InUse_S-1-5-21-1000", 500, NULL, NULL, NULL);
    logon(s, &a, P, 700);
    mark(s, &a, P, 900);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_other_view_gone_before_mark_is_safe(void)
{
    struct scn *s = scn_new();
    struct lib a;
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/outlook");
    mapi_init(s, 200, INUSE_A, 501, NULL, NULL, NULL);
    EXIT(s, 200);
    service(s, &a);
    mark(s, &a, P, 900);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_struck_is_not_latent(void)
{
    static const uint64_t sweep[] = {700, 0};
    static const char *const names[] = {P};
    struct scn *s = scn_new();
    struct lib a;
    service(s, &a);
    mark(s, &a, P, 900);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/outlook");
    mapi_init(s, 200, INUSE_A, 501, NULL, sweep, names);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "cross-namespace-purge");
    scn_free(s);
}

int main(void)
{
    RUN(test_other_session_before_mark);
    RUN(test_other_marks_key_is_safe);
    RUN(test_same_view_is_safe);
    RUN(test_other_view_gone_before_mark_is_safe);
    RUN(test_struck_is_not_latent);
    return failures ? 1 : 0;
}
