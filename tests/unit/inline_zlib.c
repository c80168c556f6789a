/* inline_zlib.c — inline hooks on code nobody wrote for this test: the system's zlib (Debian's
 * build, found through .dynsym). Hooks crc32, adler32, compress2, uncompress, deflate and
 * inflate, round-trips data and checks every result against the values computed before hooking,
 * and that calls zlib makes to itself (compress2 -> deflate) are seen. Skipped (77) when the
 * system has no libz.so.1. */
#define _GNU_SOURCE

#include "tests/unit/inline_test.h"

typedef unsigned long (*sum_fn)(unsigned long, const unsigned char *, unsigned);
typedef int (*compress2_fn)(unsigned char *, unsigned long *, const unsigned char *, unsigned long,
                            int);
typedef int (*uncompress_fn)(unsigned char *, unsigned long *, const unsigned char *,
                             unsigned long);
typedef int (*stream_fn)(void *, int);

static int h_crc, h_adler, h_comp, h_uncomp, h_deflate, h_inflate;
static sum_fn t_crc, t_adler;
static compress2_fn t_comp;
static uncompress_fn t_uncomp;
static stream_fn t_deflate, t_inflate;

static unsigned long r_crc(unsigned long c, const unsigned char *b, unsigned n)
{
    h_crc++;
    return t_crc(c, b, n);
}
static unsigned long r_adler(unsigned long c, const unsigned char *b, unsigned n)
{
    h_adler++;
    return t_adler(c, b, n);
}
static int r_comp(unsigned char *d, unsigned long *dl, const unsigned char *s, unsigned long sl,
                  int lvl)
{
    h_comp++;
    return t_comp(d, dl, s, sl, lvl);
}
static int r_uncomp(unsigned char *d, unsigned long *dl, const unsigned char *s, unsigned long sl)
{
    h_uncomp++;
    return t_uncomp(d, dl, s, sl);
}
static int r_deflate(void *strm, int flush)
{
    h_deflate++;
    return t_deflate(strm, flush);
}
static int r_inflate(void *strm, int flush)
{
    h_inflate++;
    return t_inflate(strm, flush);
}

static void hook(const char *func, void *repl, void *tramp)
{
    char why[256] = "";
    int err = pt_inline_hook_symbol("libz.so.1", func, repl, (void **)tramp, why, sizeof why);
    printf("%-10s %s\n", func, err ? why : "hooked");
    CHECK(err == 0, "%s", why);
}

int main(void)
{
    void *z = dlopen("libz.so.1", RTLD_NOW);
    if (!z) {
        printf("SKIP: no libz.so.1\n");
        return 77;
    }
    sum_fn crc = (sum_fn)dlsym(z, "crc32"), adler = (sum_fn)dlsym(z, "adler32");
    compress2_fn comp = (compress2_fn)dlsym(z, "compress2");
    uncompress_fn uncomp = (uncompress_fn)dlsym(z, "uncompress");

    size_t n = 200000;
    unsigned char *src = malloc(n), *packed = malloc(2 * n), *back = malloc(n);
    for (size_t i = 0; i < n; i++)
        src[i] = (unsigned char)((i * 7919) ^ (i >> 5)) % 61;
    unsigned long e_crc = crc(0, src, (unsigned)n), e_adler = adler(1, src, (unsigned)n);
    unsigned long e_plen = 2 * n;
    CHECK(comp(packed, &e_plen, src, n, 6) == 0, "compress2 before hooking");

    hook("crc32", r_crc, &t_crc);
    hook("adler32", r_adler, &t_adler);
    hook("compress2", r_comp, &t_comp);
    hook("uncompress", r_uncomp, &t_uncomp);
    hook("deflate", r_deflate, &t_deflate);
    hook("inflate", r_inflate, &t_inflate);

    CHECK(crc(0, src, (unsigned)n) == e_crc && h_crc == 1, "crc32");
    CHECK(adler(1, src, (unsigned)n) == e_adler && h_adler >= 1, "adler32");
    unsigned long plen = 2 * n, blen = n;
    memset(packed, 0, 2 * n);
    CHECK(comp(packed, &plen, src, n, 6) == 0 && plen == e_plen && h_comp == 1,
          "compress2: len %lu, want %lu", plen, e_plen);
    CHECK(h_deflate >= 1, "compress2's internal deflate call not seen");
    CHECK(uncomp(back, &blen, packed, plen) == 0 && blen == n && memcmp(back, src, n) == 0 &&
              h_uncomp == 1,
          "uncompress round trip");
    CHECK(h_inflate >= 1, "uncompress's internal inflate call not seen");
    printf("hits: crc32 %d adler32 %d compress2 %d deflate %d uncompress %d inflate %d\n", h_crc,
           h_adler, h_comp, h_deflate, h_uncomp, h_inflate);
    free(src);
    free(packed);
    free(back);
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
