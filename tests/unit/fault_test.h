/* fault_test.h — what the fault tests (tests/unit/fault_*.c) start with: a CHECK(cond, fmt, ...)
 * that reports a failed condition with its location and a message, and counts it in `failures`
 * (main returns non-zero when it is not 0). */
#ifndef PT_TESTS_FAULT_TEST_H
#define PT_TESTS_FAULT_TEST_H

#include <stdio.h>

static int failures;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #c);                 \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#endif
