/* analyzer_victims.c — the failures a deletion causes, in any process, on hand-built traces: a
 * third process's reopen by name, a holder's own "already gone" unlink, SysV EIDRM, a path, a
 * registry key path; never a process of another mount or IPC namespace, another user's hive, a
 * failure the library handled, or one after a later deletion nobody held. And one finding per
 * deletion, listing every live holder. */
#include <unistd.h>

#include "analyzer/report.h"
#include "tests/unit/analyzer_scn.h"

#define SEG_INO 4711
#define OTHER_MNT 4026532600ull
#define OTHER_IPC 4026532601ull

static const struct pt__finding *only(struct scn *s)
{
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    return pt_analyzer_nfindings(s->a) == 1 ? &s->a->findings[0] : NULL;
}

static uint32_t victim_pid(struct scn *s, const struct pt__finding *f, uint32_t i)
{
    return i < f->nvictims ? s->a->procs[s->a->victims[f->victims[i]].proc]->pid : 0;
}

/* holder 100 maps /seg, a cleaner 200 unlinks it. */
static struct scn *seg_removed(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/daemon");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    proc(s, 300, WHO(.start = 3), "/usr/bin/client");
    proc(s, 400, WHO(.mnt = OTHER_MNT, .ipc = OTHER_IPC, .start = 4), "/usr/bin/contained");
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    return s;
}

static void test_third_process_reopen_is_a_victim(void)
{
    struct scn *s = seg_removed();
    uint64_t deleted = s->ts;
    shm_open_fails(s, 400, "/seg"); /* another mount and IPC namespace: another /dev/shm */
    shm_open_fails(s, 300, "/seg");
    uint64_t failed = s->ts;
    shm_open_fails(s, 300, "seg"); /* the same name again: one more failure of the same victim */
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    if (!f)
        goto out;
    CHECK(f->nvictims == 1 && victim_pid(s, f, 0) == 300);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 100); /* the holder stays the holder */
    CHECK_STR(pt_analyzer_finding_severity(s->a, 0), "high");
    const struct pt__victim *v = &s->a->victims[f->victims[0]];
    CHECK_STR(v->call, "shm_open");
    CHECK(v->err == ENOENT && v->nfailures == 2 && v->ts == failed);
    char *j = scn_render(s, 1), *t = scn_render(s, 0);
    char want[256];
    snprintf(want, sizeof want,
             "\"victim\":{\"pid\":300,\"exe\":\"/usr/bin/client\",\"call\":\"shm_open\","
             "\"error\":\"-1 ENOENT\",\"time\":%llu,\"after_delete_s\":%.6f,\"failures\":2,"
             "\"holder\":false",
             (unsigned long long)failed, (double)(failed - deleted) / 1e9);
    CHECK(j && strstr(j, want));
    CHECK(j && strstr(j, "\"victims\":[{\"pid\":300,"));
    CHECK(j && !strstr(j, "\"pid\":400,\"exe\":\"/usr/bin/contained\""));
    CHECK(t && strstr(t, "pid 300 (client) shm_open -> -1 ENOENT, 0.002 s after the delete (and "
                         "later failures)"));
    free(j);
    free(t);
out:
    scn_free(s);
}

static void test_other_namespace_is_never_a_victim(void)
{
    struct scn *s = seg_removed();
    shm_open_fails(s, 400, "/seg");
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    CHECK(f && f->nvictims == 0);
    scn_free(s);
}

/* /dev/shm is a mount: a process of another IPC namespace only opens the same names. */
static void test_other_ipc_namespace_same_mount_is_a_victim(void)
{
    struct scn *s = seg_removed();
    proc(s, 500, WHO(.ipc = OTHER_IPC, .start = 5), "/usr/bin/ipc-only");
    shm_open_fails(s, 500, "/seg");
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    CHECK(f && f->nvictims == 1 && victim_pid(s, f, 0) == 500);
    scn_free(s);
}

static void test_holders_own_failing_unlink_is_a_victim(void)
{
    struct scn *s = seg_removed();
    struct pt_event *e = ev_begin(s, PT__ID(shm_unlink), 100, 0); /* "already gone" */
    pt__synth_s(e, "name", "/seg");
    e->ret = -1;
    e->err = ENOENT;
    ev_end(s);
    e = ev_begin(s, PT__ID(shm_unlink), 200, 0); /* the deleter again: its own, no victim */
    pt__synth_s(e, "name", "/seg");
    e->ret = -1;
    e->err = ENOENT;
    ev_end(s);
    e = ev_begin(s, PT__ID(shm_unlink), 300,
                 0); /* another cleaner's "already gone": lost nothing */
    pt__synth_s(e, "name", "/seg");
    e->ret = -1;
    e->err = ENOENT;
    ev_end(s);
    finish(s);
    const struct pt__finding *f = only(s);
    if (f) {
        CHECK(f->nvictims == 1 && victim_pid(s, f, 0) == 100);
        char *j = scn_render(s, 1);
        CHECK(j && strstr(j, "\"call\":\"shm_unlink\",\"error\":\"-1 ENOENT\""));
        CHECK(j && strstr(j, "\"holder\":true"));
        free(j);
    }
    scn_free(s);
}

static void sysv_attach(struct scn *s, uint32_t pid, int32_t shmid, int64_t ret, int err)
{
    struct pt_event *e = ev_begin(s, PT__ID(shmat), pid, 0);
    pt__synth_u(e, "shmid", (uint64_t)(uint32_t)shmid);
    e->ret = ret;
    e->err = err;
    ev_end(s);
}

static void test_sysv_eidrm_of_another_process(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/postgres");
    sysv_attach(s, 100, 65538, 0x7f0000200000ll, 0);
    proc(s, 300, WHO(.start = 3), "/usr/bin/postgres-backend");
    proc(s, 400, WHO(.ipc = OTHER_IPC, .start = 4), "/usr/bin/elsewhere");
    proc(s, 200, WHO(.start = 2), "/usr/bin/ipcrm");
    struct pt_event *e = ev_begin(s, PT__ID(shmctl), 200, 0);
    pt__synth_u(e, "shmid", 65538);
    pt__synth_u(e, "cmd", 0);
    ev_end(s);
    sysv_attach(s, 400, 65538, -1, EINVAL); /* shmid 65538 of another IPC namespace */
    sysv_attach(s, 300, 65538, -1, EIDRM);
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    if (f) {
        CHECK(f->nvictims == 1 && victim_pid(s, f, 0) == 300);
        CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "no-liveness-check");
        char *j = scn_render(s, 1);
        CHECK(j && strstr(j, "\"victim\":{\"pid\":300,\"exe\":\"/usr/bin/postgres-backend\","
                             "\"call\":\"shmat\",\"error\":\"-1 EIDRM\""));
        free(j);
    }
    scn_free(s);
}

/* A path opened again by another process; a relative path names nothing known. */
static void test_path_reopened_by_another_process(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/indexer");
    file_map(s, 100, 8192, 5, DEV, 1234, 0x7f0000500000ull);
    proc(s, 300, WHO(.start = 3), "/usr/bin/reader");
    proc(s, 400, WHO(.mnt = OTHER_MNT, .start = 4), "/usr/bin/contained");
    proc(s, 200, WHO(.start = 2), "/usr/bin/tmpfiles");
    struct pt_event *e = ev_begin(s, PT__ID(unlink), 200, 0);
    pt__synth_s(e, "pathname", "/var/cache/index.db");
    pt__synth_u(e, "pathname_dev", DEV);
    pt__synth_u(e, "pathname_ino", 1234);
    ev_end(s);
    const char *paths[] = {"index.db", "/var/cache/index.db", "/var/cache/index.db"};
    const uint32_t pids[] = {300, 400, 300};
    for (int i = 0; i < 3; i++) {
        e = ev_begin(s, PT__ID(openat), pids[i], 0);
        pt__synth_s(e, "pathname", paths[i]);
        e->ret = -1;
        e->err = ENOENT;
        ev_end(s);
    }
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    if (f) {
        CHECK(f->nvictims == 1 && victim_pid(s, f, 0) == 300);
        CHECK(f->nvictims == 1 && s->a->victims[f->victims[0]].nfailures == 1);
    }
    scn_free(s);
}

/* A registry key opened again by path, by another process of the same user (same hive), not by
 * another user's (HKEY_CURRENT_USER is another hive). */
static void test_key_path_reopened_by_another_process(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/app");
    reg_open(s, 100, 0, 0, HKCU, "Software\\App\\State", 321);
    proc(s, 300, WHO(.start = 3), "/usr/bin/app2");
    proc(s, 400, WHO(.uid = 1001, .euid = 1001, .start = 4), "/usr/bin/app3");
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleanup");
    uint64_t p = reg_open(s, 200, 0, 0, HKCU, "Software\\App", 320);
    reg_delete_tree(s, 200, 0, p, "State", 321);
    reg_open(s, 400, 0, 0, HKCU, "Software\\App\\State", 0);
    reg_open(s, 300, 0, 0, HKCU, "software\\app\\state\\Sub", 0); /* under it, any case */
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    if (f) {
        CHECK(f->nvictims == 1 && victim_pid(s, f, 0) == 300);
        const struct pt__victim *v = f->nvictims ? &s->a->victims[f->victims[0]] : NULL;
        CHECK(v && v->call && !strcmp(v->call, "RegOpenKeyExA") && v->ret == 2);
        char *j = scn_render(s, 1);
        CHECK(j && strstr(j, "\"call\":\"RegOpenKeyExA\",\"error\":\"2 ERROR_FILE_NOT_FOUND\""));
        free(j);
    }
    scn_free(s);
}

/* A failure inside a call that then succeeded was handled by the library: no victim. One inside a
 * call that failed: that call is the failure the program saw, the nested one its detail. */
static void test_nested_failures(void)
{
    struct scn *s = seg_removed();
    shm_open_fails(s, 300, "/seg");
    struct pt_event *e = ev_begin(s, PT__ID(shm_open), 300, 1); /* a probe inside ... */
    pt__synth_s(e, "name", "/seg");
    e->ret = -1;
    e->err = ENOENT;
    ev_end(s);
    e = ev_begin(s, PT__ID(OpenFileMappingA), 300, 0); /* ... a call that succeeded */
    pt__synth_s(e, "lpName", "Local\\seg");
    e->ret = 0x99;
    ev_end(s);
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    if (f && f->nvictims == 1) /* its failure at depth 0 stands, counted once: the probe not */
        CHECK(s->a->victims[f->victims[0]].nfailures == 1);
    else
        CHECK(!"one victim");
    scn_free(s);

    s = seg_removed();
    e = ev_begin(s, PT__ID(shm_open), 300, 1);
    pt__synth_s(e, "name", "/seg");
    e->ret = -1;
    e->err = ENOENT;
    ev_end(s);
    e = ev_begin(s, PT__ID(OpenFileMappingA), 300, 0);
    pt__synth_s(e, "lpName", "Local\\seg");
    e->ret = 0;
    e->err = PT_ERROR_FILE_NOT_FOUND;
    ev_end(s);
    proc(s, 500, WHO(.start = 5), "/usr/bin/handled");
    e = ev_begin(s, PT__ID(shm_open), 500, 1);
    pt__synth_s(e, "name", "/seg");
    e->ret = -1;
    e->err = ENOENT;
    ev_end(s);
    e = ev_begin(s, PT__ID(OpenFileMappingA), 500, 0);
    pt__synth_s(e, "lpName", "Local\\seg");
    e->ret = 0x77; /* found another way */
    ev_end(s);
    EXIT(s, 100);
    finish(s);
    f = only(s);
    if (f && f->nvictims == 1) {
        const struct pt__victim *v = &s->a->victims[f->victims[0]];
        CHECK(victim_pid(s, f, 0) == 300);
        char b[256];
        CHECK_STR(pt__rep_victim(v, b, sizeof b),
                  "OpenFileMappingA -> 2 ERROR_FILE_NOT_FOUND (shm_open -> -1 ENOENT)");
    } else {
        CHECK(!"one victim");
    }
    scn_free(s);
}

/* The name was made again and removed by someone nobody held it from: a failure after that is not
 * the older deletion's doing. */
static void test_later_unheld_delete_hides_the_older(void)
{
    struct scn *s = seg_removed();
    struct pt_event *e = ev_begin(s, PT__ID(shm_open), 300, 0);
    pt__synth_s(e, "name", "/seg");
    e->ret = 9;
    pt__synth_u(e, pt__synth_ret_dev_name, SHMDEV);
    pt__synth_u(e, pt__synth_ret_ino_name, SEG_INO + 1);
    ev_end(s);
    shm_unlink_ev(s, 300, "/seg", SEG_INO + 1);
    shm_open_fails(s, 300, "/seg");
    EXIT(s, 100);
    finish(s);
    const struct pt__finding *f = only(s);
    CHECK(f && f->nvictims == 0);
    scn_free(s);
}

/* One segment mapped by n processes, removed once: one finding listing all n. */
static void holders_of_one_segment(unsigned n)
{
    struct scn *s = scn_new();
    for (unsigned i = 0; i < n; i++) {
        proc(s, 100 + i, WHO(.start = 10 + i), "/usr/bin/worker");
        shm_map(s, 100 + i, "/seg", SEG_INO, 0x7f0000000000ull + i * 0x10000);
    }
    proc(s, 200, WHO(.start = 2), "/usr/bin/rm");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    for (unsigned i = 0; i < n; i++)
        shm_open_fails(s, 100 + i, "/seg");
    for (unsigned i = 0; i < n; i++)
        EXIT(s, 100 + i);
    finish(s);
    const struct pt__finding *f = only(s);
    if (f) {
        CHECK(f->nholders == n && f->nvictims == n);
        for (unsigned i = 0; i < f->nholders && i < n; i++) /* ordered by when they held it */
            CHECK(s->a->procs[f->holders[i].proc]->pid == 100 + i);
        char *j = scn_render(s, 1), *t = scn_render(s, 0);
        char want[64];
        for (unsigned i = 0; i < n; i++) {
            snprintf(want, sizeof want, "holder pid %u: alive at the delete", 100 + i);
            CHECK(t && strstr(t, want));
        }
        /* jq: the holders array has all n, the holder field is its first */
        char path[] = "/tmp/pt-analyzer-victims-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0 && j);
        if (fd >= 0 && j) {
            FILE *o = fdopen(fd, "w");
            fputs(j, o);
            fclose(o);
            char cmd[512];
            snprintf(cmd, sizeof cmd,
                     "jq -e '.findings | length == 1 and (.[0].holders | length) == %u and "
                     ".[0].holder == .[0].holders[0] and (.[0].victims | length) == %u and "
                     ".[0].victim == .[0].victims[0]' %s >/dev/null",
                     n, n, path);
            CHECK(system(cmd) == 0);
            unlink(path);
        }
        free(j);
        free(t);
    }
    scn_free(s);
}

/* Two holders, both silent after the delete: the earlier hold comes first. When the trace grows
 * and the second fails, it comes first (it is known to have lived): the finding is still the same
 * one (live prints it as updated, not as a new finding), and either holder names it. */
static struct scn *two_holders_snapshot(int grown)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(.start = 10), "/usr/bin/worker");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    proc(s, 101, WHO(.start = 11), "/usr/bin/worker");
    shm_map(s, 101, "/seg", SEG_INO, 0x7f0000010000ull);
    proc(s, 200, WHO(.session = 9, .start = 2), "/usr/bin/rm");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    if (grown)
        shm_open_fails(s, 101, "/seg");
    finish(s);
    return s;
}

static void test_finding_key_stays_as_holders_reorder(void)
{
    struct scn *s1 = two_holders_snapshot(0), *s2 = two_holders_snapshot(1);
    char k1[256], k2[256];
    CHECK(pt_analyzer_nfindings(s1->a) == 1 && pt_analyzer_nfindings(s2->a) == 1);
    CHECK(pt_analyzer_finding_holder_pid(s1->a, 0) == 100);
    CHECK(pt_analyzer_finding_holder_pid(s2->a, 0) == 101);
    CHECK(*pt_analyzer_finding_key(s1->a, 0, k1, sizeof k1));
    CHECK_STR(pt_analyzer_finding_key(s2->a, 0, k2, sizeof k2), k1);
    CHECK(pt_analyzer_finding_nholders(s2->a, 0) == 2);
    CHECK(pt_analyzer_finding_holder_pid_at(s2->a, 0, 0) == 101 &&
          pt_analyzer_finding_holder_pid_at(s2->a, 0, 1) == 100 &&
          pt_analyzer_finding_holder_pid_at(s2->a, 0, 2) == 0);
    scn_free(s1);
    scn_free(s2);
}

static void test_one_finding_for_two_holders(void)
{
    holders_of_one_segment(2);
}

static void test_one_finding_for_six_holders(void)
{
    holders_of_one_segment(6);
}

int main(void)
{
    RUN(test_third_process_reopen_is_a_victim);
    RUN(test_other_namespace_is_never_a_victim);
    RUN(test_other_ipc_namespace_same_mount_is_a_victim);
    RUN(test_holders_own_failing_unlink_is_a_victim);
    RUN(test_sysv_eidrm_of_another_process);
    RUN(test_path_reopened_by_another_process);
    RUN(test_key_path_reopened_by_another_process);
    RUN(test_nested_failures);
    RUN(test_later_unheld_delete_hides_the_older);
    RUN(test_finding_key_stays_as_holders_reorder);
    RUN(test_one_finding_for_two_holders);
    RUN(test_one_finding_for_six_holders);
    return failures ? 1 : 0;
}
