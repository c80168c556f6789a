/* analyzer_held.c — deleted-while-held on hand-built traces: POSIX shm, SysV shm, mapped files and
 * registry keys removed while another live process holds them, victims, and the no-finding cases.
 */
#include "tests/unit/analyzer_scn.h"

#define SEG_INO 4711

static void test_posix_shm_unlinked_while_mapped(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/daemon");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    proc(s, 200, WHO(.session = 9, .start = 2), "/usr/lib/systemd-logind");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "deleted-while-held");
    /* logind's RemoveIPC consults nothing: no liveness check, in another session besides */
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "no-liveness-check");
    CHECK(strstr(s->a->findings[0].why, "consulted no in-use view"));
    CHECK(strstr(s->a->findings[0].why, "in another login session than the holder"));
    CHECK_STR(pt_analyzer_finding_severity(s->a, 0), "medium");
    CHECK(!pt_analyzer_finding_has_victim(s->a, 0));
    scn_free(s);
}

static void test_victim_raises_severity(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/daemon");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    shm_open_fails(s, 100, "/seg");
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "no-liveness-check");
    CHECK_STR(pt_analyzer_finding_severity(s->a, 0), "high");
    CHECK(pt_analyzer_finding_has_victim(s->a, 0));
    scn_free(s);
}

static void test_unmapped_before_unlink(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/daemon");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    struct pt_event *e = ev_begin(s, PT__ID(munmap), 100, 0);
    pt__synth_u(e, "addr", 0x7f0000000000ull);
    pt__synth_u(e, "length", 4096);
    ev_end(s);
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleaner");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    CHECK(s->a->dels_unheld == 1);
    scn_free(s);
}

static void test_holder_unlinks_own(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/daemon");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    shm_unlink_ev(s, 100, "/seg", SEG_INO);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_inode_reuse(void)
{
    /* after a delete the same inode number is a new object: its holders are new */
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/a");
    proc(s, 200, WHO(.start = 2), "/usr/bin/b");
    shm_map(s, 100, "/one", SEG_INO, 0x7f0000000000ull);
    shm_unlink_ev(s, 100, "/one", SEG_INO); /* by the holder: fine */
    shm_map(s, 200, "/two", SEG_INO, 0x7f0000100000ull);
    shm_unlink_ev(s, 200, "/two", SEG_INO); /* by its own holder: fine; 100's map is stale */
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_silent_holder_same_namespaces_is_gone(void)
{
    /* the holder was SIGKILLed (no exit, no events after): a same-namespace clean-up is fine */
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/daemon");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    proc(s, 200, WHO(.start = 2), "/bin/rm");
    shm_unlink_ev(s, 200, "/seg", SEG_INO);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_sysv_rmid_while_attached(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/a");
    struct pt_event *e = ev_begin(s, PT__ID(shmat), 100, 0);
    pt__synth_u(e, "shmid", 65538);
    e->ret = 0x7f0000200000ll;
    ev_end(s);
    proc(s, 200, WHO(.start = 2), "/usr/bin/ipcrm");
    e = ev_begin(s, PT__ID(shmctl), 200, 0);
    pt__synth_u(e, "shmid", 65538);
    pt__synth_u(e, "cmd", 0);
    ev_end(s);
    e = ev_begin(s, PT__ID(shmat), 100, 0);
    pt__synth_u(e, "shmid", 65538);
    e->ret = -1;
    e->err = EIDRM;
    ev_end(s);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_has_victim(s->a, 0));
    scn_free(s);
}

static void test_sysv_other_ipc_namespace_is_other_segment(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/a");
    struct pt_event *e = ev_begin(s, PT__ID(shmat), 100, 0);
    pt__synth_u(e, "shmid", 65538);
    e->ret = 0x7f0000200000ll;
    ev_end(s);
    proc(s, 200, WHO(.ipc = 4026532999ull, .start = 2), "/usr/bin/ipcrm");
    e = ev_begin(s, PT__ID(shmctl), 200, 0);
    pt__synth_u(e, "shmid", 65538);
    pt__synth_u(e, "cmd", 0);
    ev_end(s);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_mapped_file_unlinked_other_mntns(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/java");
    file_map(s, 100, 32768, 4, DEV, 999, 0x7f0000300000ull);
    proc(s, 200, WHO(.mnt = 4026532500ull, .pid = 4026532501ull, .start = 2), "/usr/bin/java");
    struct pt_event *e = ev_begin(s, PT__ID(unlink), 200, 0);
    pt__synth_s(e, "pathname", "/tmp/hsperfdata_app/1");
    pt__synth_u(e, "pathname_dev", DEV);
    pt__synth_u(e, "pathname_ino", 999);
    ev_end(s);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "no-liveness-check");
    CHECK(strstr(s->a->findings[0].why, "in other kernel namespaces"));
    scn_free(s);
}

/* A deleting function that is only a row of the call table (remove: DELETE(FILE, pathname)). */
static void test_remove_of_mapped_file(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/indexer");
    file_map(s, 100, 8192, 5, DEV, 1234, 0x7f0000500000ull);
    proc(s, 200, WHO(.euid = 0, .start = 2), "/usr/bin/cleaner");
    struct pt_event *e = ev_begin(s, PT__ID(remove), 200, 0);
    pt__synth_s(e, "pathname", "/var/cache/index.db");
    pt__synth_u(e, "pathname_dev", DEV);
    pt__synth_u(e, "pathname_ino", 1234);
    ev_end(s);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "deleted-while-held");
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "no-liveness-check");
    CHECK(strstr(s->a->findings[0].why, "as another account"));
    CHECK(pt_analyzer_finding_deleter_pid(s->a, 0) == 200);
    CHECK(pt_analyzer_finding_holder_pid(s->a, 0) == 100);
    CHECK(pt__call_mark(e) == PT__MARK_DELETE);
    scn_free(s);
}

static void test_registry_key_handle(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/app");
    uint64_t h = reg_open(s, 100, 0, 0, HKCU, "Software\\App\\State", 321);
    (void)h;
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleanup");
    uint64_t p = reg_open(s, 200, 0, 0, HKCU, "Software\\App", 320);
    reg_delete_tree(s, 200, 0, p, "State", 321);
    reg_open(s, 100, 0, 0, HKCU, "Software\\App\\State", 0); /* reopening by name: not found */
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "deleted-while-held");
    CHECK(pt_analyzer_finding_has_victim(s->a, 0));
    CHECK_STR(pt_analyzer_finding_severity(s->a, 0), "high");
    scn_free(s);
}

/* A key handle (no MAPI session) removed by a MAPIInitialize of another login session: the
 * deleter consulted an in-use view, so the two processes' identities are the cause. */
static void test_key_handle_removed_by_a_sweep_of_another_session(void)
{
    static const uint64_t sweep[] = {700, 0};
    static const char *const names[] = {"P"};
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/app");
    uint64_t prof = reg_open(s, 100, 0, 0, HKCU, PROFILES, PROFILES_INO);
    reg_open(s, 100, 0, 0, prof, "P", 700);
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, "Local\\MAPISIM_InUse_S-1-5-21-1000", 501, NULL, sweep, names);
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "deleted-while-held");
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "session-namespace-split");
    CHECK(s->a->findings[0].consult == PT__CONSULT_VIEW);
    scn_free(s);
}

static void test_closed_key_handle(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/app");
    uint64_t h = reg_open(s, 100, 0, 0, HKCU, "Software\\App\\State", 321);
    reg_close(s, 100, 0, h);
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleanup");
    uint64_t p = reg_open(s, 200, 0, 0, HKCU, "Software\\App", 320);
    reg_delete_tree(s, 200, 0, p, "State", 321);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

static void test_rename_over_held_file(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/reader");
    file_map(s, 100, 4096, 4, DEV, 55, 0x7f0000400000ull);
    proc(s, 200, WHO(.start = 2), "/usr/bin/writer");
    struct pt_event *e = ev_begin(s, PT__ID(rename), 200, 0);
    pt__synth_s(e, "oldpath", "/var/db.tmp");
    pt__synth_u(e, "oldpath_dev", DEV);
    pt__synth_u(e, "oldpath_ino", 56);
    pt__synth_s(e, "newpath", "/var/db");
    pt__synth_u(e, "newpath_dev", DEV);
    pt__synth_u(e, "newpath_ino", 55);
    ev_end(s);
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    scn_free(s);
}

static void test_failed_delete_is_no_delete(void)
{
    struct scn *s = scn_new();
    proc(s, 100, WHO(), "/usr/bin/daemon");
    shm_map(s, 100, "/seg", SEG_INO, 0x7f0000000000ull);
    proc(s, 200, WHO(.start = 2), "/usr/bin/cleaner");
    struct pt_event *e = ev_begin(s, PT__ID(shm_unlink), 200, 0);
    pt__synth_s(e, "name", "/seg");
    pt__synth_u(e, "name_dev", SHMDEV);
    pt__synth_u(e, "name_ino", SEG_INO);
    e->ret = -1;
    e->err = EACCES;
    ev_end(s);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

int main(void)
{
    RUN(test_posix_shm_unlinked_while_mapped);
    RUN(test_victim_raises_severity);
    RUN(test_unmapped_before_unlink);
    RUN(test_holder_unlinks_own);
    RUN(test_inode_reuse);
    RUN(test_silent_holder_same_namespaces_is_gone);
    RUN(test_sysv_rmid_while_attached);
    RUN(test_sysv_other_ipc_namespace_is_other_segment);
    RUN(test_mapped_file_unlinked_other_mntns);
    RUN(test_remove_of_mapped_file);
    RUN(test_registry_key_handle);
    RUN(test_key_handle_removed_by_a_sweep_of_another_session);
    RUN(test_closed_key_handle);
    RUN(test_rename_over_held_file);
    RUN(test_failed_delete_is_no_delete);
    return failures ? 1 : 0;
}
