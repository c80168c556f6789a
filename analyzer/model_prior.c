/* model_prior.c — holds a process already had when proftrace attached to it (`prior_hold`
 * events, written by preload/attach.c from the injector's /proc scan, proftrace/attach.h).
 *
 * No API call began them, so each is modelled as the hold the call would have begun, with the
 * attach time as its start and "held since before attach" as its API: a key the process keeps open
 * (KEY), a MAPI session's profile key (SESSION, also listed with the sessions the latent-hazard
 * rule reads), a shared mapping (MAP; of a POSIX shared-memory object it is also an in-use view),
 * an attached SysV segment (SYSV). The scan knows objects, not the library's names for them: a view
 * found this way is marked `prior` (cause.c then takes the deleter's name for the namespace the
 * library looks in), and a session is known by the key it keeps open, so closing that key ends it
 * (model_holds.c: its Logoff or Release, on an object obtained before the attach, is not seen). */
#include <string.h>

#include "analyzer/model.h"
#include "proftrace/attach.h"

/* The kind a prior_hold event names, decoded once (its wire form is the name, for `events` and
 * babeltrace2). */
static enum pt_prior_kind prior_kind(const char *name)
{
    static const char *const names[PT_PRIOR_COUNT] = {"",
#define PT_PRIOR_NAME(k) #k,
                                                      PT_PRIOR_KINDS(PT_PRIOR_NAME)
#undef PT_PRIOR_NAME
    };
    for (unsigned k = 1; k < PT_PRIOR_COUNT; k++)
        if (!strcmp(name, names[k]))
            return (enum pt_prior_kind)k;
    return PT_PRIOR_NONE;
}

/* An in-use object the process maps: a view as if the library had opened it inside MAPI. */
static void add_prior_view(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                           const struct pt_event *ev)
{
    if (PT__GROW(a, p->views, p->nviews, p->capviews))
        return;
    struct pt__view *v = &p->views[p->nviews++];
    memset(v, 0, sizeof *v);
    v->name = pt__strdup(a, PT_S(ev, prior_hold, path));
    v->shm_name = pt__strdup(a, PT_S(ev, prior_hold, path));
    v->dev = PT_U(ev, prior_hold, dev);
    v->ino = PT_U(ev, prior_hold, ino);
    v->ts = ev->ts;
    v->who = pt__who_now(p, t);
    v->in_mapi = 1;
    v->prior = 1;
}

void pt__on_prior_hold(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev)
{
    static const char since[] = "held since before attach";
    struct pt__thread *t = pt__thread_for(a, p, ev->tid);
    uint64_t dev = PT_U(ev, prior_hold, dev), ino = PT_U(ev, prior_hold, ino);
    uint64_t handle = PT_U(ev, prior_hold, handle), size = PT_U(ev, prior_hold, size);
    const char *path = PT_S(ev, prior_hold, path);
    enum pt_prior_kind kind = prior_kind(PT_S(ev, prior_hold, kind));
    uint32_t h = PT__NONE;
    switch (kind) {
    case PT_PRIOR_key:
        h = pt__hold_open(a, p, t, ev, PT_K_KEY, handle, dev, ino, NULL, pt__strdup(a, path));
        break;
    case PT_PRIOR_session:
        h = pt__session_open(a, p, t, ev, handle, dev, ino, PT_S(ev, prior_hold, name), path);
        break;
    case PT_PRIOR_map:
    case PT_PRIOR_shm:
        h = pt__hold_open(a, p, t, ev, PT_K_MAP, handle, dev, ino, NULL, NULL);
        if (h != PT__NONE) {
            a->holds[h].len = size;
            if (a->holds[h].kept) {
                struct pt__kept_hold *k = &a->kept[a->holds[h].kept - 1];
                k->num = -1; /* the descriptor it was mapped from is not known */
                k->ino = ino;
                k->len = size;
            }
        }
        if (kind == PT_PRIOR_shm)
            add_prior_view(a, p, t, ev);
        break;
    case PT_PRIOR_sysv: /* ino is the shmid, in the attached process's IPC namespace */
        h = pt__hold_open(a, p, t, ev, PT_K_SYSV, handle, PT__SYSV_DEV(p->who.ns[PT_NS_ipc]),
                          ino + 1, NULL, NULL);
        if (h != PT__NONE && a->holds[h].kept)
            a->kept[a->holds[h].kept - 1].num = (int64_t)ino;
        break;
    case PT_PRIOR_file: /* an open plain file is no hold in a trace from the start either */
    default:
        break;
    }
    if (h != PT__NONE) {
        a->holds[h].api = since;
        a->holds[h].prior = 1;
    }
}
