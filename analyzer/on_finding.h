/* on_finding.h — what a follower tells whoever wants to hear of each finding as it happens: the
 * collector's alerts (the system journal, --on-finding CMD) and `proftrace live`.
 *
 * A finding is announced once when it first appears, and again, `updated`, when later events add
 * to it (the victim's failing call, another holder); a collector restarted after a crash knows
 * what it announced before (the checkpoint keeps the keys) and does not announce it again.
 * Everything here is valid during the call only: copy what you keep. The callback runs on the
 * follower's thread (in `collect`, not the thread that drains the rings).
 */
#ifndef PT_ANALYZER_ON_FINDING_H
#define PT_ANALYZER_ON_FINDING_H

#include <stdint.h>

struct pt_analyzer;

struct pt_finding_note {
    const char *json;  /* the finding as `report --json` writes it: one object, one line */
    const char *text;  /* as `report` writes it, after its "finding N: " */
    const char *key;   /* what makes it the same finding: pt_analyzer_finding_key (its deletion) */
    int updated;       /* 0: new; 1: announced before, and it has grown since */
    int victim_update; /* updated, and what it gained is its first victim: announced before
                        * without one (once per finding, across restarts too) */
    const char *rule;  /* cross-namespace-purge, deleted-while-held, latent-purge-hazard */
    const char *cause; /* identity-split, session-namespace-split, ... */
    const char *severity; /* critical, high, medium */
    int uncertain;
    const char *resource_kind; /* profile, registry-key, posix-shm, sysv-shm, mapped-file, file */
    const char *resource_name;
    uint32_t deleter_pid, holder_pid;     /* in their own pid namespaces (0: none) */
    const char *deleter_exe, *holder_exe; /* "" when unknown */
    uint64_t
        ts; /* when it happened: the delete (the hazard, for a latent one), CLOCK_MONOTONIC ns */
    int64_t realtime; /* add to ts for CLOCK_REALTIME (0: unknown) */
    const char *dir;  /* the trace directory */
    /* the finished model it is finding `index` of, for what the fields above leave out
     * (pt_analyzer_finding_*, alert.h's pt_finding_get and pt_finding_json) */
    struct pt_analyzer *analyzer;
    unsigned index;
};

typedef void (*pt_on_finding_fn)(void *arg, const struct pt_finding_note *n);

#endif
