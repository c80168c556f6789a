/* export_scn.c — the Chrome and HTML exporters on hand-built event sequences (the analyzer's
 * scenario builders): bug 2 (one arrow from the delete to the failure, tracks named and grouped by
 * session, the hold as an async span), a latent hazard (a finding without a delete: no arrow), a
 * reused pid (two tracks, never one), hostile strings (a profile name with markup and quotes
 * stays inside its JSON string and HTML text), and the HTML's drawing caps on a big clean-up. */
#include "analyzer/export_model.h"
#include "tests/unit/analyzer_scn.h"

#define INUSE "Local\\MAPISIM_InUse_S-1-5-21-1000"

static void to_timeline(struct scn *s, const struct pt_event *ev)
{
    CHECK(pt_timeline_feed(s->sink_arg, ev) == 0);
}

static struct pt_timeline *timeline(struct scn *s)
{
    struct pt_timeline *tl = pt_timeline_new();
    s->sink = to_timeline;
    s->sink_arg = tl;
    return tl;
}

static char *render(struct pt_timeline *tl, int html)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct pt_report_opts o = {0, 0};
    CHECK((html ? pt_export_html(f, tl, &o) : pt_export_chrome(f, tl)) == 0);
    fclose(f);
    return buf;
}

/* (Not strstr in a loop: AddressSanitizer's strstr measures the whole rest of the haystack on each
 * call, which made test_caps quadratic in a sanitizer build: 100 s.) */
static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    size_t len = strlen(needle);
    for (const char *p = hay; (p = strchr(p, needle[0])); p++)
        if (!strncmp(p, needle, len)) {
            n++;
            p += len - 1;
        }
    return n;
}

/* The value of "pid" in the first line of `json` that contains `needle`; 0 when none. */
static unsigned pid_of_line(const char *json, const char *needle)
{
    const char *p = strstr(json, needle);
    if (!p)
        return 0;
    while (p > json && p[-1] != '\n')
        p--;
    const char *q = strstr(p, "\"pid\":");
    return q ? (unsigned)strtoul(q + 6, NULL, 10) : 0;
}

static struct pt_timeline *bug2(struct scn *s, const char *profile)
{
    static uint64_t sweep[] = {700, 0};
    const char *names[] = {profile};
    struct pt_timeline *tl = timeline(s);
    proc(s, 100, WHO(), "/usr/lib/eventsvc");
    struct lib a = mapi_init(s, 100, INUSE, 500, NULL, NULL, NULL);
    uint64_t session = logon(s, &a, profile, 700);
    mark(s, &a, profile, 900);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE, 501, NULL, sweep, names);
    open_msg_store_fails(s, 100, session, 0x5002);
    pt_timeline_finish(tl, NULL);
    return tl;
}

static void test_bug2_chrome(void)
{
    struct scn *s = scn_new();
    struct pt_timeline *tl = bug2(s, "EvtSvc-1");
    CHECK(pt_timeline_nfindings(tl) == 1);
    char *j = render(tl, 0);
    CHECK(!strncmp(j, "[\n", 2));
    CHECK(strstr(j, "\"name\":\"eventsvc (pid 100) [login session 3 \xc2\xb7 mnt ns 4026531841"));
    CHECK(strstr(j, "\"name\":\"mapiclient (pid 200) [login session 7 \xc2\xb7 mnt ns 4026531841"));
    /* grouped apart: the client (another session) does not sort between members of the first */
    CHECK(strstr(j, "\"pid\":100,\"tid\":100,\"ts\":0.000,\"name\":\"process_sort_index\",\"args\":"
                    "{\"sort_index\":0}"));
    CHECK(strstr(j, "\"pid\":200,\"tid\":200,\"ts\":0.000,\"name\":\"process_sort_index\",\"args\":"
                    "{\"sort_index\":1}"));
    /* one arrow: from the deleting call in the client to the failing OpenMsgStore in the service */
    CHECK(count(j, "\"ph\":\"s\"") == 1 && count(j, "\"ph\":\"f\"") == 1);
    CHECK(pid_of_line(j, "\"ph\":\"s\"") == 200 && pid_of_line(j, "\"ph\":\"f\"") == 100);
    CHECK(strstr(j, "\"bp\":\"e\""));
    /* the session as an async span; the deletion and the failures as instants; the finding */
    CHECK(count(j, "\"ph\":\"b\"") >= 1 && count(j, "\"ph\":\"b\"") == count(j, "\"ph\":\"e\""));
    CHECK(strstr(j, "\"name\":\"MAPI session on profile \\\"EvtSvc-1\\\"\""));
    CHECK(pid_of_line(j, "\"cat\":\"deletion\"") == 200);
    CHECK(strstr(j, "\"name\":\"failed: IMAPISession_OpenMsgStore\""));
    CHECK(strstr(j, "\"result\":\"0x80004005 MAPI_E_CALL_FAILED\""));
    CHECK(strstr(j, "\"s\":\"g\",\"cat\":\"finding\",\"name\":\"finding 1: cross-namespace-purge "
                    "(session-namespace-split)\""));
    /* every X has a dur */
    CHECK(count(j, "\"ph\":\"X\"") > 10 && count(j, "\"ph\":\"X\"") == count(j, "\"dur\":"));
    /* times relative to the start: the first process event is at 0 */
    CHECK(strstr(j, "\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":500.000,"));
    free(j);
    pt_timeline_free(tl);
    scn_free(s);
}

static void test_bug2_html(void)
{
    struct scn *s = scn_new();
    struct pt_timeline *tl = bug2(s, "EvtSvc-1");
    char *h = render(tl, 1);
    CHECK(!strncmp(h, "<!DOCTYPE html>", 15));
    CHECK(strstr(h, "<svg class=\"timeline\" id=\"timeline\""));
    CHECK(strstr(h, "<svg class=\"timeline\" id=\"finding-1-timeline\""));
    CHECK(strstr(h,
                 "class=\"lane\" data-pid=\"100\" data-display-pid=\"100\" data-exe=\"eventsvc\""));
    CHECK(strstr(h, "data-pid=\"200\" data-display-pid=\"200\" data-exe=\"mapiclient\""));
    CHECK(
        count(
            h,
            "<path class=\"arrow\" data-finding=\"1\" data-from-pid=\"200\" data-to-pid=\"100\"") ==
        2);
    CHECK(strstr(h, "login session 7"));
    CHECK(strstr(
        h, "finding 1: cross-namespace-purge  severity critical  cause session-namespace-split"));
    CHECK(!strstr(h, "http://") || count(h, "http://") == count(h, "http://www.w3.org/2000/svg"));
    CHECK(!strstr(h, "https://"));
    free(h);
    pt_timeline_free(tl);
    scn_free(s);
}

static void test_latent(void)
{
    struct scn *s = scn_new();
    struct pt_timeline *tl = timeline(s);
    struct lib a;
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/outlook");
    mapi_init(s, 200, INUSE, 501, NULL, NULL, NULL);
    proc(s, 100, WHO(), "/usr/lib/eventsvc");
    a = mapi_init(s, 100, INUSE, 500, NULL, NULL, NULL);
    logon(s, &a, "EvtSvc-1", 700);
    mark(s, &a, "EvtSvc-1", 900);
    pt_timeline_finish(tl, NULL);
    CHECK(pt_timeline_nfindings(tl) == 1);
    char *j = render(tl, 0), *h = render(tl, 1);
    CHECK(strstr(j, "finding 1: latent-purge-hazard (session-namespace-split)"));
    CHECK(!strstr(j, "\"ph\":\"s\"") && !strstr(j, "\"ph\":\"f\""));
    CHECK(strstr(h, "id=\"finding-1-timeline\""));
    CHECK(!strstr(h, "class=\"arrow\""));
    CHECK(strstr(h, "its next MAPIInitialize will delete it"));
    CHECK(strstr(h, "class=\"finding-tag\""));
    /* the session is still held at the end of the trace */
    CHECK(strstr(j, "\"still_held_at_trace_end\":true"));
    free(j);
    free(h);
    pt_timeline_free(tl);
    scn_free(s);
}

static void test_pid_reuse(void)
{
    /* two processes with pid 300 (the first exits, the pid comes back): two tracks */
    struct scn *s = scn_new();
    struct pt_timeline *tl = timeline(s);
    proc(s, 300, WHO(), "/usr/bin/first");
    simple(s, PT__ID(shm_unlink), 300, NULL, 0);
    EXIT(s, 300);
    proc(s, 300, WHO(.start = 5, .pid = 4026532999ull), "/usr/bin/second");
    simple(s, PT__ID(shm_unlink), 300, NULL, 0);
    pt_timeline_finish(tl, NULL);
    char *j = render(tl, 0), *h = render(tl, 1);
    unsigned p1 = pid_of_line(j, "\"name\":\"first (pid 300)");
    unsigned p2 = pid_of_line(j, "\"name\":\"second (pid 300)");
    CHECK(p1 && p2 && p1 != p2);
    CHECK(p1 >= 4194304 && p2 >= 4194304); /* above PID_MAX_LIMIT: no real pid is taken either */
    CHECK(count(j, "\"name\":\"process_name\"") == 2);
    CHECK(count(h, "<g class=\"lane") == 2);
    CHECK(count(h, "pid ns 4026532999") >= 1); /* grouped by its own PID namespace */
    free(j);
    free(h);
    pt_timeline_free(tl);
    scn_free(s);
}

static void test_hostile_strings(void)
{
    struct scn *s = scn_new();
    const char *evil = "P<script>x</script>\"&'\\\x01\xff";
    struct pt_timeline *tl = bug2(s, evil);
    CHECK(pt_timeline_nfindings(tl) == 1);
    char *j = render(tl, 0), *h = render(tl, 1);
    CHECK(strstr(j, "P<script>x</script>\\\"&'\\\\\\u0001\\udcff"));
    CHECK(!strstr(h, "<script>x"));
    CHECK(strstr(h, "P&lt;script&gt;x&lt;/script&gt;&quot;&amp;&#39;\\\\x01\\xff"));
    CHECK(count(h, "<script>") == 1); /* only the page's own */
    free(j);
    free(h);
    pt_timeline_free(tl);
    scn_free(s);
}

static void test_caps(void)
{
    /* a clean-up deleting 25000 things: the HTML draws at most 6000 call ticks and 20000 marks,
     * and says so; the Chrome export keeps every one */
    struct scn *s = scn_new();
    struct pt_timeline *tl = timeline(s);
    proc(s, 400, WHO(), "/usr/bin/cleaner");
    for (int i = 0; i < 25000; i++)
        simple(s, PT__ID(shm_unlink), 400, NULL, 0);
    pt_timeline_finish(tl, NULL);
    char *j = render(tl, 0), *h = render(tl, 1);
    CHECK(count(j, "\"cat\":\"deletion\"") == 25000);
    CHECK(count(h, "<path class=\"mark delete\"") == 20000);
    CHECK(count(h, "<rect class=\"call") == 6000);
    CHECK(strstr(h, "(drawn: the first 6000 calls and 20000 deletion/failure marks"));
    free(j);
    free(h);
    pt_timeline_free(tl);
    scn_free(s);
}

int main(void)
{
    RUN(test_bug2_chrome);
    RUN(test_bug2_html);
    RUN(test_latent);
    RUN(test_pid_reuse);
    RUN(test_hostile_strings);
    RUN(test_caps);
    return failures ? 1 : 0;
}
