/* attach_yama.c — Yama's kernel.yama.ptrace_scope as pt_attach_check judges it: each setting, with
 * and without CAP_SYS_PTRACE, for a descendant or not; every refusal names the sysctl and what to
 * do. (This kernel may have no Yama at all, so the decision is checked on its own here; whether
 * the kernel then agrees is ptrace's business.) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach/attach.h"

static int failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int main(void)
{
    /* scope, cap, descendant -> allowed */
    static const int cases[][4] = {
        {-1, 0, 0, 1}, {0, 0, 0, 1}, {1, 0, 0, 0}, {1, 0, 1, 1}, {1, 1, 0, 1},
        {2, 0, 1, 0},  {2, 1, 0, 1}, {3, 0, 1, 0}, {3, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[512] = "";
        int rc = pt_attach_yama(cases[i][0], cases[i][1], cases[i][2], why, sizeof why);
        CHECK((rc == 0) == cases[i][3], "scope %d cap %d descendant %d: rc %d", cases[i][0],
              cases[i][1], cases[i][2], rc);
        if (rc < 0) {
            char want[64];
            snprintf(want, sizeof want, "kernel.yama.ptrace_scope is %d", cases[i][0]);
            CHECK(rc == -EPERM, "scope %d: rc %d, not -EPERM", cases[i][0], rc);
            CHECK(strstr(why, want) != NULL, "scope %d: reason does not name the sysctl: %s",
                  cases[i][0], why);
            CHECK(strstr(why, cases[i][0] == 3 ? "proftrace record --" : "root") != NULL,
                  "scope %d: reason says nothing to do: %s", cases[i][0], why);
        }
    }
    if (failures)
        return 1;
    printf("ok: %zu Yama settings judged\n", sizeof cases / sizeof cases[0]);
    return 0;
}
