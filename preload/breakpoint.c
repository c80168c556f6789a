/* breakpoint.c — PROFTRACE_BREAK: SIGTRAP at a finding-worthy call, only under a debugger.
 *
 * PROFTRACE_BREAK is a comma-separated list:
 *   delete-held   a delete (unlink, unlinkat, rmdir, rename*, shm_unlink, and the ones nested in
 *                 RegDeleteKeyA/RegDeleteTreeA) of an object another live process holds, as the
 *                 shared holds table (holds.h) says; checked BEFORE the real call, so the debugger
 *                 stops while the object still exists, inside the API call that deletes it;
 *   key-deleted   a registry call that failed with PT__ERROR_KEY_DELETED (1018), checked after it;
 *   delete        any delete at all (held or not);
 *   1, all        delete-held,key-deleted.
 * When a condition matches, a `breakpoint` event is recorded (stopped=1 or 0) and SIGTRAP is raised
 * if and only if a debugger is attached (TracerPid in /proc/self/status, read only then: the
 * conditions are rare, the common path costs one predictable branch on pt__break_armed). Without a
 * debugger the process never stops; the event says where it would have.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/breakpoint.h"
#include "preload/holds.h"
#include "preload/shim.h"

#define PT__ERROR_KEY_DELETED 1018

enum { B_DELETE_HELD = 1, B_KEY_DELETED = 2, B_DELETE = 4 };
static unsigned mask;

void pt__brk_config(const char *spec)
{
    mask = 0;
    if (!spec || !*spec || !strcmp(spec, "0"))
        return;
    const char *p = spec;
    while (*p) {
        size_t n = strcspn(p, ",");
        if ((n == 11 && !strncmp(p, "delete-held", n)))
            mask |= B_DELETE_HELD;
        else if (n == 11 && !strncmp(p, "key-deleted", n))
            mask |= B_KEY_DELETED;
        else if (n == 6 && !strncmp(p, "delete", n))
            mask |= B_DELETE;
        else if ((n == 1 && *p == '1') || (n == 3 && !strncmp(p, "all", n)))
            mask |= B_DELETE_HELD | B_KEY_DELETED;
        p += n;
        if (*p == ',')
            p++;
    }
    if (!mask) /* an unknown word still means the user wants to stop somewhere */
        mask = B_DELETE_HELD | B_KEY_DELETED;
    pt__break_armed = 1;
}

static int is_delete(unsigned call, int hint)
{
    switch (call) {
    case PT_CALL_unlink:
    case PT_CALL_unlinkat:
    case PT_CALL_rmdir:
    case PT_CALL_rename:
    case PT_CALL_renameat:
    case PT_CALL_renameat2:
    case PT_CALL_shm_unlink:
        return 1;
    default:
        return hint;
    }
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
    if (!(mask & (B_DELETE_HELD | B_DELETE)) || !is_delete(c->call, c->delete_hint))
        return;
    for (unsigned i = 0; i < c->nid && i < 4; i++) {
        uint32_t pid = 0, kind = 0;
        char name[96] = "";
        if ((mask & B_DELETE_HELD) &&
            pt__holds_other(c->id[i].dev, c->id[i].ino, &pid, &kind, name)) {
            hit("delete-held", c->call, c->id[i].dev, c->id[i].ino, pid, name);
            return;
        }
    }
    if (mask & B_DELETE)
        hit("delete", c->call, c->nid ? c->id[0].dev : 0, c->nid ? c->id[0].ino : 0, 0, "");
}

void pt__break_after(struct pt__call *c)
{
    if ((mask & B_KEY_DELETED) && c->failed && c->err == PT__ERROR_KEY_DELETED &&
        c->call < PT_CALL_COUNT)
        hit("key-deleted", c->call, 0, 0, 0, "");
}
