/* analyzer_report.c — the text and JSON reports of a hand-built bug-2 trace say what the issue
 * asks: rule, cause, both identities, the deleting call chain, the victim, remedy and summary. */
#define _GNU_SOURCE
#include <link.h>
#include <unistd.h>

#include "analyzer/symbolize.h"

#include "tests/unit/analyzer_scn.h"

#define INUSE "Local\\MAPISIM_InUse_S-1-5-21-1000"

static char *render(struct scn *s, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct pt_report_opts o = {1, 1};
    CHECK((json ? pt_report_json(f, s->a, &o) : pt_report_text(f, s->a, &o)) == 0);
    fclose(f);
    return buf;
}

static struct scn *bug2(void)
{
    static const uint64_t sweep[] = {700, 0};
    static const char *const names[] = {"Svc \"quoted\""};
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/lib/eventsvc");
    struct lib a = mapi_init(s, 100, INUSE, 500, NULL, NULL, NULL);
    uint64_t session = logon(s, &a, names[0], 700);
    mark(s, &a, names[0], 900);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE, 501, NULL, sweep, names);
    open_msg_store_fails(s, 100, session, 0x5002);
    finish(s);
    return s;
}

static void test_text(void)
{
    struct scn *s = bug2();
    char *t = render(s, 0);
    CHECK(strstr(
        t, "finding 1: cross-namespace-purge  severity critical  cause session-namespace-split"));
    CHECK(strstr(t, "MAPIInitialize > RegDeleteTreeA("));
    CHECK(strstr(t, "IMAPISession_OpenMsgStore -> 0x80004005 MAPI_E_CALL_FAILED (RegQueryValueExA "
                    "-> 1018 ERROR_KEY_DELETED)"));
    CHECK(strstr(t, "login session") && strstr(t, " 3 (loginuid 1000)"));
    CHECK(strstr(t, "7 (loginuid 1000)"));
    CHECK(strstr(t, "marked it for deletion under \"Deleted Profiles\""));
    CHECK(strstr(t, "remedy: the in-use object is named in the session-local namespace"));
    CHECK(strstr(t, "summary: 2 processes,"));
    CHECK(strstr(t, "1 finding\n"));
    CHECK(strstr(t, "stack of the delete (pid 200, RegDeleteTreeA):"));
    free(t);
    scn_free(s);
}

static void test_json(void)
{
    struct scn *s = bug2();
    char *t = render(s, 1);
    static const char head[] = "{\"schema\":2,\"findings\":[{\"rule\":\"cross-namespace-purge\","
                               "\"severity\":\"critical\",\"cause\":\"session-namespace-split\"";
    CHECK(!strncmp(t, head, sizeof head - 1));
    CHECK(strstr(t, "\"resource\":{\"kind\":\"profile\",\"name\":\"Svc \\\"quoted\\\"\""));
    CHECK(strstr(t, "\"identity\":{\"dev\":2051,\"ino\":700}"));
    CHECK(strstr(t, "\"deleter\":{\"pid\":200,"));
    CHECK(strstr(t, "\"holder\":{\"pid\":100,"));
    CHECK(strstr(t, "\"call\":\"MAPIInitialize\",\"api\":\"RegDeleteTreeA\""));
    CHECK(strstr(t, "\"victim\":{\"pid\":100,\"exe\":\"/usr/lib/eventsvc\","
                    "\"call\":\"IMAPISession_OpenMsgStore\",\"error\":"
                    "\"0x80004005 MAPI_E_CALL_FAILED\""));
    CHECK(strstr(t, "\"victims\":[{\"pid\":100,"));
    CHECK(strstr(t, "\"holders\":[{\"pid\":100,"));
    CHECK(strstr(t, "\"summary\":{\"processes\":2,"));
    free(t);
    scn_free(s);
}

static void test_no_findings(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/bin/true");
    EXIT(s, 100);
    finish(s);
    char *t = render(s, 0);
    CHECK(strstr(t, "no findings"));
    CHECK(strstr(t, "summary: 1 processes, 2 events, 0 lost"));
    free(t);
    t = render(s, 1);
    static const char none[] =
        "{\"schema\":2,\"findings\":[],\"summary\":{\"processes\":1,\"events\":2,\"lost\":0,";
    CHECK(!strncmp(t, none, sizeof none - 1));
    free(t);
    scn_free(s);
}

/* The JSON of every rule parses (jq) and has the fields of docs/report-json.md. */
static void json_valid(struct scn *s, const char *rule)
{
    char *t = render(s, 1);
    char path[] = "/tmp/pt-analyzer-json-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    fputs(t, f);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "jq -e '.findings[0] | .rule == \"%s\" and (.severity|type) == \"string\" and "
             ".resource.kind and .resource.name and .resource.identity and .deleter.pid and "
             ".holder.pid and .cause and has(\"victim\")' %s >/dev/null",
             rule, path);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "%s\n", t);
    CHECK(rc == 0);
    unlink(path);
    free(t);
}

static void test_json_every_rule(void)
{
    struct scn *s = bug2();
    json_valid(s, "cross-namespace-purge");
    scn_free(s);

    s = scn_new(); /* deleted-while-held: a SysV segment removed while attached */
    proc(s, 100, WHO(), "/usr/bin/a");
    struct pt_event *e = ev_begin(s, PT__ID(shmat), 100, 0);
    pt__synth_u(e, "shmid", 65538);
    e->ret = 0x7f0000200000ll;
    ev_end(s);
    proc(s, 200, WHO(.mnt = 4026532300ull, .start = 2), "/usr/bin/ipcrm");
    e = ev_begin(s, PT__ID(shmctl), 200, 0);
    pt__synth_u(e, "shmid", 65538);
    ev_end(s);
    EXIT(s, 100);
    finish(s);
    json_valid(s, "deleted-while-held");
    scn_free(s);

    s = scn_new(); /* latent: another session's client is up before the profile is marked */
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/outlook");
    mapi_init(s, 200, INUSE, 501, NULL, NULL, NULL);
    proc(s, 100, WHO(), "/usr/lib/eventsvc");
    struct lib a = mapi_init(s, 100, INUSE, 500, NULL, NULL, NULL);
    logon(s, &a, "P", 700);
    mark(s, &a, "P", 900);
    finish(s);
    json_valid(s, "latent-purge-hazard");
    char *t = render(s, 0);
    CHECK(strstr(t, "finding 1: latent-purge-hazard"));
    CHECK(strstr(t, "its next MAPIInitialize will delete the profile"));
    free(t);
    scn_free(s);
}

static int first_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    *(uint64_t *)arg = info->dlpi_addr;
    return 1; /* the main program comes first */
}

/* Offline symbolization of this very program: function name and file:line (DWARF line table). */
static __attribute__((noinline)) void test_symbolize(void)
{
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    if (n <= 0)
        return;
    exe[n] = 0;
    uint64_t bias = 0;
    dl_iterate_phdr(first_object, &bias);
    struct scn *s = scn_new();
    proc(s, 100, WHO(), exe);
    struct pt_event *e = ev_begin(s, PT_EV_module, 100, 0);
    pt__synth_u(e, "base", bias);
    pt__synth_u(e, "size", 1ull << 30);
    pt__synth_u(e, "bias", bias);
    pt__synth_s(e, "path", exe);
    ev_end(s);
    struct pt__symbolizer *sy = pt__sym_new();
    struct pt__sym sym[4];
    uint64_t addr = (uint64_t)(uintptr_t)&test_symbolize + 4;
    unsigned k = pt__sym_resolve(sy, s->a->procs[0], addr, sym, 4);
    CHECK(k >= 1);
    if (pt__sym_unavailable()) {
        CHECK(!sym[k - 1].func); /* built without libdw: the report says so once */
    } else {
        CHECK(sym[k - 1].func && !strcmp(sym[k - 1].func, "test_symbolize"));
        CHECK(sym[k - 1].off == 4);
        CHECK(sym[k - 1].file && strstr(sym[k - 1].file, "analyzer_report.c") != NULL);
        CHECK(sym[k - 1].line > 0);
    }
    /* an address with no module is reported, not guessed */
    CHECK(pt__sym_resolve(sy, s->a->procs[0], 0x10, sym, 4) == 1 && !sym[0].func && sym[0].problem);
    pt__sym_free(sy);
    finish(s);
    scn_free(s);
}

int main(void)
{
    RUN(test_symbolize);
    RUN(test_json_every_rule);
    RUN(test_text);
    RUN(test_json);
    RUN(test_no_findings);
    return failures ? 1 : 0;
}
