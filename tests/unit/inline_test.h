/* inline_test.h — what every inline-hook test starts with: the hook engine's header and a CHECK
 * that reports a failed condition with its location and counts it in `failures` (main returns
 * non-zero when it is not 0). Include after defining _GNU_SOURCE. */
#ifndef PT_TESTS_INLINE_TEST_H
#define PT_TESTS_INLINE_TEST_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preload/inline/inline_hook.h"

static int failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#endif
