/* escape.h — showing bytes that came from a trace (names, paths, arguments, executables) in every
 * output a reader writes: the terminal, text reports, JSON, HTML.
 *
 * A traced program chooses these bytes: they may hold terminal escape sequences, newlines that
 * forge report lines, or bytes that are not UTF-8. Every reader writes them through these
 * functions, so each output shows them the same way and none can act on a terminal or break a
 * JSON or HTML document. Valid UTF-8 that is not a control character is written as it is.
 *
 * Text (pt_esc_text, pt_esc): lossless, readable, backslash escapes.
 *   \n \t \r                newline, tab, carriage return
 *   \xHH                    any other byte below 0x20, DEL (0x7f), and every byte that is not part
 *                           of a valid UTF-8 sequence (a stray 0xff, an overlong or cut sequence)
 *   \uHHHH                  a valid character that controls or reorders text on a terminal: C1
 *                           controls U+0080..U+009F, U+200E/U+200F, U+2028..U+202E, U+2066..U+2069
 *   \\                      a backslash followed by \ x u n t r (so that the above stay
 *                           unambiguous); any other backslash is written as it is, which keeps
 *                           registry paths (HKEY_CURRENT_USER\Software\...) readable
 *   With PT_ESC_QUOTE (strace style, for quoted arguments): every backslash is \\ and '"' is \".
 * JSON (pt_esc_json): RFC 8259 strings, and only valid UTF-8 is written.
 *   \" \\ \b \f \n \r \t, \u00HH for other bytes below 0x20, \u007f, and \uHHHH for the characters
 *   listed under text above; a byte that is not part of valid UTF-8 is written as the lone
 *   surrogate \udcHH (HH = the byte; the "surrogateescape" convention of Python's PEP 383). No
 *   character is ever written that way, so the original bytes come back exactly: in Python,
 *   json.loads(doc)[...].encode("utf-8", "surrogateescape"). Decoders that insist on Unicode
 *   (jq) show U+FFFD there.
 * HTML (pt_esc_html): the text escapes for control characters, bytes that are not UTF-8 and the
 *   characters listed above, except that backslashes are never doubled (the evidence blocks the
 *   HTML report embeds are text reports, escaped once already); then & < > " ' as entities.
 *   pt_esc_html_lines keeps newlines, for such a block: its newlines are its own line breaks.
 */
#ifndef PROFTRACE_ESCAPE_H
#define PROFTRACE_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Text flag: strace-style quoting, for a string printed between double quotes. */
#define PT_ESC_QUOTE 1u

/* Write the first len bytes of s, escaped as text, to out. */
void pt_esc_text_put(FILE *out, const char *s, size_t len, unsigned flags);

/* Escape the first len bytes of s as text into buf (at most size bytes, NUL included; a
 * character's escape is never cut). Returns the length the whole escaped text needs, like
 * snprintf. */
size_t pt_esc_text(char *buf, size_t size, const char *s, size_t len, unsigned flags);

/* s (NUL-terminated) escaped as text, for a printf argument: fprintf(out, "\"%s\"", pt_esc(name)).
 * The result lives in one of PT_ESC_SLOTS buffers of the calling thread, reused round robin: valid
 * until PT_ESC_SLOTS more calls in that thread. NULL gives NULL; "" on allocation failure. */
#define PT_ESC_SLOTS 16
const char *pt_esc(const char *s);

/* s as a JSON string with its quotes; null for NULL. */
void pt_esc_json(FILE *out, const char *s);
/* The inside of that JSON string, without quotes; nothing for NULL. */
void pt_esc_json_raw(FILE *out, const char *s);

/* s as HTML text or attribute value; nothing for NULL. */
void pt_esc_html(FILE *out, const char *s);
/* The same for a block of text lines that was escaped as text already (a text report): its
 * newlines stay. */
void pt_esc_html_lines(FILE *out, const char *s);

#endif
