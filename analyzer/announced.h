/* announced.h — the keys of the findings a collection announced (sent to the journal and
 * --on-finding), kept in the trace directory (DIR/.announced), so that a collector started again on
 * the directory, rotated or not, announces none of them twice (internal to the analyzer).
 *
 * The file is text: a first line "proftrace-announced 1", then one key a line
 * (pt_analyzer_finding_key), appended as each finding is announced, with one write each. A line cut
 * short (a collector killed while it wrote it) is not a key. */
#ifndef PT_ANALYZER_ANNOUNCED_H
#define PT_ANALYZER_ANNOUNCED_H

#define PT__ANNOUNCED_FILE ".announced"

/* Call fn(arg, key) for each key of dir's file, in the order they were added; stops at, and
 * returns, the first non-zero fn result. 0 when there is no file; -EPROTO when it is not one
 * (its first line is not ours: nothing is read); another negative errno when it cannot be read. */
int pt__announced_read(const char *dir, int (*fn)(void *arg, const char *key), void *arg);

/* Add key to dir's file (made when it is not there). 0, or a negative errno. */
int pt__announced_add(const char *dir, const char *key);

#endif
