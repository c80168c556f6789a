/* export_escape.c — the exporters' escaping keeps any trace string inside its JSON string or HTML
 * text: quotes, backslashes, control bytes, markup, and bytes that are not UTF-8 (JSON: the lone
 * surrogate \udcHH, lossless; HTML: \xHH, as the text report shows them; proftrace/escape.h);
 * times are microseconds with 3 decimals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/export_model.h"

static int failures;

#define CHECK_OUT(call, want)                                                                      \
    do {                                                                                           \
        char *buf_ = NULL;                                                                         \
        size_t len_ = 0;                                                                           \
        FILE *f_ = open_memstream(&buf_, &len_);                                                   \
        call;                                                                                      \
        fclose(f_);                                                                                \
        if (len_ != strlen(want) || memcmp(buf_, want, len_)) {                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n  got  [%s]\n  want [%s]\n", __FILE__, __LINE__,      \
                    #call, buf_, want);                                                            \
            failures++;                                                                            \
        }                                                                                          \
        free(buf_);                                                                                \
    } while (0)

int main(void)
{
    /* JSON */
    CHECK_OUT(pt__x_json_str(f_, "plain"), "\"plain\"");
    CHECK_OUT(pt__x_json_str(f_, NULL), "null");
    CHECK_OUT(pt__x_json_str(f_, "a\"b\\c"), "\"a\\\"b\\\\c\"");
    CHECK_OUT(pt__x_json_str(f_, "tab\there\nnl\x01\x7f"), "\"tab\\there\\nnl\\u0001\\u007f\"");
    CHECK_OUT(pt__x_json_str(f_, "Local\\MAPI"), "\"Local\\\\MAPI\"");
    CHECK_OUT(pt__x_json_raw(f_, "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80");              /* valid UTF-8 passes */
    CHECK_OUT(pt__x_json_raw(f_, "bad\xff\xc3"), "bad\\udcff\\udcc3");   /* stray bytes */
    CHECK_OUT(pt__x_json_raw(f_, "\xc0\xaf"), "\\udcc0\\udcaf");         /* overlong '/' */
    CHECK_OUT(pt__x_json_raw(f_, "\xed\xa0\x80"), "\\udced\\udca0\\udc80"); /* surrogate */
    CHECK_OUT(pt__x_json_raw(f_, "\xe2\x86"), "\\udce2\\udc86");            /* cut sequence */
    CHECK_OUT(pt__x_json_raw(f_, "\xc2\x9b"
                                 "2J"),
              "\\u009b2J");                                   /* C1 CSI */
    CHECK_OUT(pt__x_json_raw(f_, "\xe2\x80\xae"), "\\u202e"); /* right-to-left */
    /* HTML */
    CHECK_OUT(pt__x_html(f_, "<script>alert('x')</script> & \"q\""),
              "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    CHECK_OUT(pt__x_html(f_, "line\nnext\x02\x1b[2J"), "line\\nnext\\x02\\x1b[2J");
    CHECK_OUT(pt__x_html(f_, "\xff<"), "\\xff&lt;");
    CHECK_OUT(pt__x_html(f_, "HKCU\\Software"), "HKCU\\Software");
    CHECK_OUT(pt__x_html(f_, NULL), "");
    /* times: ns since t0 as microseconds with exactly 3 decimals, never negative */
    CHECK_OUT(pt__x_us(f_, 1000000123456ull, 1000000000000ull), "123.456");
    CHECK_OUT(pt__x_us(f_, 5, 0), "0.005");
    CHECK_OUT(pt__x_us(f_, 7, 9), "0.000");
    CHECK_OUT(pt__x_us(f_, 18446744073709551615ull, 0), "18446744073709551.615");
    /* base names */
    if (strcmp(pt__tl_base("/usr/bin/eventsvc"), "eventsvc") || strcmp(pt__tl_base(NULL), "?") ||
        strcmp(pt__tl_base(""), "?") || strcmp(pt__tl_base("rm"), "rm")) {
        fprintf(stderr, "FAIL pt__tl_base\n");
        failures++;
    }
    if (failures)
        return 1;
    printf("ok\n");
    return 0;
}
