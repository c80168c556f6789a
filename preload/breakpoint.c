/* breakpoint.c — PROFTRACE_BREAK: SIGTRAP at a finding-worthy call, only under a debugger.
 *
 * PROFTRACE_BREAK is a comma-separated list:
 *   delete-held   a delete (a FILE, SHM or RENAME delete of calls.h's role column: unlink*, rmdir,
 *                 rename*, shm_unlink, also when nested in RegDeleteKeyA/RegDeleteTreeA; shmctl
 *                 IPC_RMID) of an object another live process holds, as the shared holds table
 *                 (holds.h) says; checked BEFORE the real call, so the debugger stops while the
 *                 object still exists, inside the API call that deletes it;
 *   key-deleted   a registry call that failed with ERROR_KEY_DELETED (1018), checked after it;
 *   delete        any delete at all (held or not);
 *   1, all        delete-held,key-deleted.
 * The list is parsed once, at start (pt__break_config, stack.c). When a condition matches, a
 * `breakpoint` event is recorded (stopped=1 or 0) and SIGTRAP is raised if and only if a debugger
 * is attached (TracerPid in /proc/self/status, read only then: the conditions are rare, the common
 * path costs one predictable branch on pt__break_armed). Without a debugger the process never
 * stops; the event says where it would have.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/breakpoint.h"
#include "preload/holds.h"
#include "preload/shim.h"

/* Deletes whose identity the wrapper takes before the call (the PATH-like captures of FILE, SHM
 * and RENAME deletes), from the role column of calls.h; a SysV delete says so per call
 * (delete_hint). A KEY delete is checked at the unlinkat nested in it (it names the directory). */
#define ROW_CHECKED(name, cat, hook, cret, cparams, cargs, retk, fields, role)                     \
    PT_ROLE_TYPE(role) == PT_ROLE_DELETE &&                                                        \
        (PT_ROLE_KIND(role) == PT_K_FILE || PT_ROLE_KIND(role) == PT_K_SHM ||                      \
         PT_ROLE_KIND(role) == PT_K_RENAME),
static const uint8_t checked[PT_CALL_COUNT] = {PT_CALLS_ROLE(ROW_CHECKED, )};

static int is_delete(unsigned call, int hint)
{
    return hint || (call < PT_CALL_COUNT && checked[call]);
}

static int debugger_attached(void)
{
    char buf[2048];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    const char *t = strstr(buf, "\nTracerPid:");
    return t && atoi(t + 11) != 0;
}

static void hit(const char *reason, unsigned call, uint64_t dev, uint64_t ino, uint32_t pid,
                const char *holder)
{
    uint8_t busy = pt__tls.busy;
    pt__tls.busy = 1; /* our own open/read of /proc must not be traced as nested calls */
    int stop = debugger_attached();
    struct pt__ev_breakpoint v = {.reason = reason,
                                  .call = pt_event_name(PT_EV_CALL_FIRST + call),
                                  .stopped = (uint32_t)stop,
                                  .dev = dev,
                                  .ino = ino,
                                  .holder_pid = pid,
                                  .holder = holder};
    pt__put_breakpoint(NULL, 0, &v);
    pt__tls.busy = busy;
    if (stop)
        raise(SIGTRAP); /* the debugger stops here: `up` to the deleting call */
}

void pt__break_before(struct pt__call *c)
{
    if (!(pt__break_mask & (PT__BRK_DELETE_HELD | PT__BRK_DELETE)) ||
        !is_delete(c->call, c->delete_hint))
        return;
    for (unsigned i = 0; i < c->nid && i < 4; i++) {
        uint32_t pid = 0, kind = 0;
        char name[96] = "";
        if ((pt__break_mask & PT__BRK_DELETE_HELD) &&
            pt__holds_other(c->id[i].dev, c->id[i].ino, &pid, &kind, name)) {
            hit("delete-held", c->call, c->id[i].dev, c->id[i].ino, pid, name);
            return;
        }
    }
    if (pt__break_mask & PT__BRK_DELETE)
        hit("delete", c->call, c->nid ? c->id[0].dev : 0, c->nid ? c->id[0].ino : 0, 0, "");
}

void pt__break_after(struct pt__call *c)
{
    if ((pt__break_mask & PT__BRK_KEY_DELETED) && c->failed && c->err == PT_ERROR_KEY_DELETED &&
        c->call < PT_CALL_COUNT)
        hit("key-deleted", c->call, 0, 0, 0, "");
}
