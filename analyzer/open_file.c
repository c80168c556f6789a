/* open_file.c — what an open file is to its holder, and how much its deletion costs: the rules that
 * give a deleted-while-held finding on an open-file hold its class and severity.
 *
 * The class comes from the name and the open flags, by conventions documented by the programs that
 * use them, never by a list of programs. The first rule that matches wins:
 *   journal  the name ends in -journal, -wal or -shm (SQLite's rollback journal, write-ahead log
 * and its index: a database's transactions live there until they are checkpointed) or .journal:
 * high; lock     the name ends in .lock, .lck or .pid, or the file was created read-only (the flock
 *            idiom): medium (once the name is gone, a second process can make a new file and take
 *            the lock this one stands for);
 *   log      opened O_APPEND, or named *.log or *.log.N: low (lines written after the deletion are
 *            lost, the service goes on);
 *   data     opened read-write (updated in place: a database, an index, a data file): high;
 *   output   opened write-only (a file being written out): medium.
 * A file replaced by a rename (DELETE(RENAME): a new file took its name, as an editor's atomic save
 * does) is low whatever its class: the name holds the renamer's new content on purpose, and the
 * holder loses only what it writes after the replacement, which the trace cannot tell. A victim (a
 * failure the deletion caused) raises the severity one level. */
#include <string.h>

#include "analyzer/open_file.h"
#include "proftrace/open_holds.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* "x.log" or "x.log.3" (a rotated log) */
static int log_name(const char *s)
{
    if (ends_with(s, ".log"))
        return 1;
    const char *p = strstr(s, ".log.");
    if (!p)
        return 0;
    for (p += 5; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

static const struct pt__file_class classes[] = {
    [PT__FC_JOURNAL] = {"journal", "high", "a database journal"},
    [PT__FC_LOCK] = {"lock", "medium", "a lock file"},
    [PT__FC_LOG] = {"log", "low", "a log"},
    [PT__FC_DATA] = {"data", "high", "a data file, read and written in place"},
    [PT__FC_OUTPUT] = {"output", "medium", "a file being written"},
};

const struct pt__file_class *pt__file_class(uint32_t oflags, const char *path)
{
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : path ? path : "";
    uint32_t acc = oflags & PT_O_ACCMODE;
    if (ends_with(base, "-journal") || ends_with(base, "-wal") || ends_with(base, "-shm") ||
        ends_with(base, ".journal"))
        return &classes[PT__FC_JOURNAL];
    if (ends_with(base, ".lock") || ends_with(base, ".lck") || ends_with(base, ".pid") ||
        acc == PT_O_RDONLY)
        return &classes[PT__FC_LOCK];
    if ((oflags & PT_O_APPEND) || log_name(base))
        return &classes[PT__FC_LOG];
    if (acc == PT_O_RDWR)
        return &classes[PT__FC_DATA];
    return &classes[PT__FC_OUTPUT];
}

const char *pt__file_severity(const struct pt__file_class *c, int replaced, int victims)
{
    static const char *const levels[] = {"low", "medium", "high", "critical"};
    unsigned i = 0;
    while (i < 3 && strcmp(levels[i], replaced ? "low" : c->severity))
        i++;
    return levels[victims && i < 3 ? i + 1 : i];
}
