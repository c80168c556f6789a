/* samples_test.h — what the profile library's unit tests (tests/unit/samples_*.c) start with: a
 * CHECK that reports a failed condition with its location and counts it in `failures` (main
 * returns non-zero when it is not 0), and the nftw callback that removes a test's private hive. */
#ifndef PT_TESTS_SAMPLES_TEST_H
#define PT_TESTS_SAMPLES_TEST_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* For nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS): removes every entry, deepest first. */
static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

#endif
