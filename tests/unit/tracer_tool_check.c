/* tracer_tool_check.c — checks a trace written by tracer_tool_writer against its results file:
 * every event decodes to exactly the pattern its writer wrote, in order, no torn record; writers
 * that finished are accounted for exactly (read + lost == attempted); writers killed mid-stream
 * have at least everything they reported as written. Not a test by itself. */
#include <getopt.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"

#define MAXWR 4096

struct wstate {
    uint32_t pid, w;
    uint64_t written, lost, progress;
    int done, has_progress, nobuf;
    uint64_t short_by; /* events skipped over damage */
    uint64_t read, lost_read;
};

static struct wstate ws[MAXWR];
static unsigned nws;

static struct wstate *find(uint32_t pid, uint32_t w, int create)
{
    for (unsigned i = 0; i < nws; i++)
        if (ws[i].pid == pid && ws[i].w == w)
            return &ws[i];
    if (!create || nws == MAXWR)
        return NULL;
    ws[nws] = (struct wstate){.pid = pid, .w = w};
    return &ws[nws++];
}

/* One stream (a thread buffer). Streams that do not hold a test writer's pattern (e.g. those of
 * the shim when `proftrace record` preloads it into the writer) are foreign and skipped. */
struct tstate {
    uint32_t pid, stream;
    int foreign;
    struct wstate *w;
    uint64_t next_i;
    uint64_t lost;
};
static struct tstate ts_[MAXWR];
static unsigned nts;

static struct tstate *tstate(uint32_t pid, uint32_t stream)
{
    for (unsigned i = 0; i < nts; i++)
        if (ts_[i].pid == pid && ts_[i].stream == stream)
            return &ts_[i];
    if (nts == MAXWR)
        return NULL;
    ts_[nts] = (struct tstate){.pid = pid, .stream = stream};
    return &ts_[nts++];
}

static int ndiag;
static void diag(void *arg, const char *msg)
{
    (void)arg;
    ndiag++;
    fprintf(stderr, "diag: %s\n", msg);
}

int main(int argc, char **argv)
{
    int expect_diag = 0, allow_lost = 1, damaged = 0;
    int c;
    static const struct option opts[] = {{"expect-diag", 1, 0, 'd'}, {"no-lost", 0, 0, 'n'},
                                         {"damaged", 1, 0, 'D'}, {0, 0, 0, 0}};
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd')
            expect_diag = atoi(optarg);
        else if (c == 'n')
            allow_lost = 0;
        else if (c == 'D')
            damaged = atoi(optarg); /* writers allowed to come back short (damaged input) */
        else
            return 2;
    }
    if (optind + 2 != argc) {
        fprintf(stderr, "usage: tracer_tool_check [--expect-diag N] [--no-lost] DIR RESULTS\n");
        return 2;
    }
    FILE *f = fopen(argv[optind + 1], "r");
    if (!f) {
        perror(argv[optind + 1]);
        return 2;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        unsigned pid, w;
        unsigned long long a, b;
        if (sscanf(line, "done %u %u %llu %llu", &pid, &w, &a, &b) == 4) {
            struct wstate *x = find(pid, w, 1);
            x->done = 1;
            x->nobuf = strstr(line, "nobuf") != NULL;
            x->written = a;
            x->lost = b;
        } else if (sscanf(line, "progress %u %u %llu", &pid, &w, &a) == 3) {
            struct wstate *x = find(pid, w, 1);
            if (!x->has_progress || a > x->progress)
                x->progress = a;
            x->has_progress = 1;
        }
    }
    fclose(f);

    struct pt_trace *t;
    if (pt_trace_open(argv[optind], diag, NULL, &t) < 0) {
        fprintf(stderr, "cannot open trace\n");
        return 1;
    }
    struct pt_event ev;
    uint64_t n = 0, bad = 0, last_ts = 0, order = 0, reaped = 0, foreign = 0;
    while (pt_trace_next(t, &ev) > 0) {
        n++;
        if (ev.ts < last_ts)
            order++;
        last_ts = ev.ts;
        if (ev.id == PT_EV_reaped) {
            reaped++;
            printf("reaped pid %u signo %lld\n", ev.pid, (long long)ev.field[0].i);
            continue;
        }
        if (ev.id == PT_EV_process || ev.id == PT_EV_thread)
            continue;
        struct tstate *s = tstate(ev.pid, ev.stream);
        if (!s || s->foreign) {
            foreign++;
            continue;
        }
        if (ev.id == PT_EV_lost && ev.tid == 0) {
            /* no buffer: the collector's process stream; charged to the writers that had none */
            struct wstate *x = NULL;
            for (unsigned i = 0; i < nws && !x; i++)
                if (ws[i].pid == ev.pid && ws[i].nobuf)
                    x = &ws[i];
            if (!x) {
                fprintf(stderr, "pid %u: %llu events lost for lack of a buffer, none expected\n",
                        ev.pid, (unsigned long long)ev.field[0].u);
                bad++;
                continue;
            }
            uint64_t left = ev.field[0].u;
            for (unsigned i = 0; i < nws; i++)
                if (ws[i].pid == ev.pid && ws[i].nobuf) {
                    uint64_t take = left < ws[i].lost ? left : ws[i].lost;
                    ws[i].lost_read += take;
                    left -= take;
                }
            x->lost_read += left; /* any excess shows as a mismatch */
            continue;
        }
        if (ev.id == PT_EV_lost) {
            /* the marker sits exactly where the lost events were: the sequence resumes after */
            if (s->w) {
                s->w->lost_read += ev.field[0].u;
                s->next_i += ev.field[0].u;
            } else {
                s->lost += ev.field[0].u;
            }
            continue;
        }
        if (!s->w) {
            uint32_t w;
            uint64_t i;
            if (damaged && t_ident(&ev, &w, &i) && i != s->lost) {
                /* the start of this stream was destroyed: resume at what survived */
                s->w = find(ev.pid, w, 1);
                s->w->short_by += i;
                s->w->lost_read += s->lost;
                s->next_i = i;
            } else if (!t_ident(&ev, &w, &i) || i != s->lost ||
                       (t_quiet = 1, t_verify(&ev, w, i) + (t_quiet = 0))) {
                /* not a test writer's stream (the shim's, under record): not ours to check */
                s->foreign = 1;
                foreign++;
                continue;
            } else {
                s->w = find(ev.pid, w, 1);
                s->w->lost_read += s->lost;
                s->next_i = i;
            }
        }
        if (damaged) {
            /* after damage a stream may skip ahead (a dropped packet tail): follow it */
            uint32_t w = s->w->w;
            uint64_t i = 0;
            int known = ev.id == PT_EV_cred ? (i = ev.field[0].u - (uint64_t)w * 1000, 1)
                                            : t_ident(&ev, &w, &i);
            if (known && w == s->w->w && i > s->next_i) {
                s->w->short_by += i - s->next_i;
                s->next_i = i;
            }
        }
        if (t_verify(&ev, s->w->w, s->next_i)) {
            fprintf(stderr, "pid %u writer %u: event %llu is wrong (torn or out of order)\n",
                    ev.pid, s->w->w, (unsigned long long)s->next_i);
            bad++;
        }
        s->next_i++;
        s->w->read++;
    }
    pt_trace_close(t);
    uint64_t lost_total = 0;
    int short_writers = 0;
    for (unsigned i = 0; i < nws; i++) {
        struct wstate *x = &ws[i];
        lost_total += x->lost_read;
        if (damaged && x->done && (x->read != x->written || x->short_by)) {
            short_writers++;
            if (x->read > x->written) {
                fprintf(stderr, "pid %u writer %u: read %llu > written %llu\n", x->pid, x->w,
                        (unsigned long long)x->read, (unsigned long long)x->written);
                bad++;
            }
            continue;
        }
        if (x->done) {
            if (x->read != x->written || x->lost_read != x->lost) {
                fprintf(stderr,
                        "pid %u writer %u: read %llu + lost %llu, wrote %llu + lost %llu\n",
                        x->pid, x->w, (unsigned long long)x->read,
                        (unsigned long long)x->lost_read, (unsigned long long)x->written,
                        (unsigned long long)x->lost);
                bad++;
            }
            if (!allow_lost && x->lost) {
                fprintf(stderr, "pid %u writer %u: %llu lost\n", x->pid, x->w,
                        (unsigned long long)x->lost);
                bad++;
            }
        } else if (x->has_progress && x->read < x->progress + 1) {
            fprintf(stderr, "pid %u writer %u: read %llu, but it had written %llu before dying\n",
                    x->pid, x->w, (unsigned long long)x->read,
                    (unsigned long long)x->progress + 1);
            bad++;
        }
    }
    if (short_writers > damaged) {
        fprintf(stderr, "%d writers came back short, at most %d allowed\n", short_writers, damaged);
        bad++;
    }
    if (order) {
        fprintf(stderr, "%llu events out of time order\n", (unsigned long long)order);
        bad++;
    }
    if (expect_diag ? ndiag < expect_diag : ndiag > 0) {
        fprintf(stderr, "%d diagnostics, expected %s%d\n", ndiag, expect_diag ? ">= " : "",
                expect_diag);
        bad++;
    }
    printf("checked %llu events, %u writers, %llu lost, %llu reaped, %d diagnostics, %llu events "
           "of other streams: %s\n",
           (unsigned long long)n, nws, (unsigned long long)lost_total,
           (unsigned long long)reaped, ndiag, (unsigned long long)foreign, bad ? "FAIL" : "ok");
    return bad ? 1 : 0;
}
