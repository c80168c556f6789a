/* open_file.h — what an open file is to its holder (open_file.c has the rules). */
#ifndef PT_ANALYZER_OPEN_FILE_H
#define PT_ANALYZER_OPEN_FILE_H

#include <stdint.h>

enum pt__file_kind { PT__FC_JOURNAL, PT__FC_LOCK, PT__FC_LOG, PT__FC_DATA, PT__FC_OUTPUT };

struct pt__file_class {
    const char *name;     /* journal, lock, log, data, output (JSON: resource.class) */
    const char *severity; /* of its deletion, without a victim */
    const char *what;     /* for people: "a database journal" */
};

/* The class of a file opened with oflags under path (the name the holder used, or the deleted
 * path); never NULL. */
const struct pt__file_class *pt__file_class(uint32_t oflags, const char *path);

/* The severity of a deleted-while-held finding on a file of class c: "low" when it was replaced
 * by a rename, one level higher when the deletion had victims. */
const char *pt__file_severity(const struct pt__file_class *c, int replaced, int victims);

#endif
