/* report.h — what the text and JSON reports share: how a finding's parts are named. */
#ifndef PT_ANALYZER_REPORT_H
#define PT_ANALYZER_REPORT_H

#include "analyzer/model.h"
#include "analyzer/symbolize.h"

struct pt__res {
    const char *kind; /* profile, registry-key, posix-shm, sysv-shm, mapped-file, file */
    const char *name;
    const char *key; /* a profile's key path, else NULL */
    uint64_t dev, ino;
    int sysv; /* identity is (ipc ns, shmid) */
};

/* The resource of finding f. */
void pt__rep_resource(const struct pt_analyzer *a, const struct pt__finding *f, struct pt__res *r);

/* The mark under which the finding's profile was marked before `before`, or NULL. */
const struct pt__mark *pt__rep_mark(const struct pt_analyzer *a, const char *profile,
                                    uint64_t before);

/* The failure text of a candidate's victim into buf ("IMAPISession_OpenMsgStore -> 0x80004005
 * MAPI_E_CALL_FAILED (RegQueryValueExA -> 1018 ERROR_KEY_DELETED)"); "" when none. */
const char *pt__rep_victim(const struct pt__cand *c, char *buf, size_t len);
/* The error of one result: "0x80004005 MAPI_E_CALL_FAILED", "1018 ERROR_KEY_DELETED", "ENOENT". */
const char *pt__rep_error(const char *call, int64_t ret, int32_t err, char *buf, size_t len);

/* "3:1" style device text. */
const char *pt__rep_dev(uint64_t dev, char *buf, size_t len);

/* The thread's stack frames and the call the stack belongs to, for a deletion. */
const char *pt__rep_why(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                        size_t len);

#endif
