/* ctf_meta.c — the CTF 1.8 TSDL metadata of a trace directory, generated from PT_EVENTS/PT_CALLS.
 *
 * It describes, byte for byte, the packets the ring writes (format.h): every integer is
 * byte-aligned little-endian, the event header is a one-byte id that selects a compact (u32
 * timestamp) or extended (u16 id, u64 timestamp) variant, and a call's head is a flags byte whose
 * bit-fields select narrow or wide duration and return value and whether a stack follows. CTF event
 * ids are the proftrace class ids + 1 (0 marks an uncommitted record in the ring). Payload fields
 * of the tables are written with a leading underscore, which CTF strips, so no table name can clash
 * with a TSDL keyword. env.table_hash names the event tables (pt__table_hash): readers refuse the
 * stream files of a directory whose metadata has another.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/ctf.h"
#include "tracer/files.h"
#include "tracer/perm.h"
#include "tracer/internal.h"

static const char *wire_type(uint8_t wire)
{
    switch (wire) {
    case PT_WIRE_U8: return "uint8_t";
    case PT_WIRE_U16: return "uint16_t";
    case PT_WIRE_U32: return "uint32_t";
    case PT_WIRE_U64: return "uint64_t";
    case PT_WIRE_I32: return "int32_t";
    case PT_WIRE_I64: return "int64_t";
    case PT_WIRE_X64: return "x64_t";
    case PT_WIRE_STR: return "string";
    default: return NULL;
    }
}

char *pt__ctf_metadata(int64_t realtime_offset)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int64_t off_s = realtime_offset / 1000000000, off_ns = realtime_offset % 1000000000;
    if (off_ns < 0) {
        off_ns += 1000000000;
        off_s -= 1;
    }
    fprintf(f,
            "/* CTF 1.8 */\n"
            "/* proftrace event format %d; written by the proftrace collector. */\n\n"
            "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
            "typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
            "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
            "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
            "typealias integer { size = 32; align = 8; signed = true; } := int32_t;\n"
            "typealias integer { size = 64; align = 8; signed = true; } := int64_t;\n"
            "typealias integer { size = 64; align = 8; signed = false; base = 16; } := x64_t;\n\n"
            "trace {\n"
            "    major = 1;\n"
            "    minor = 8;\n"
            "    byte_order = le;\n"
            "    packet.header := struct {\n"
            "        uint32_t magic;\n"
            "        uint64_t stream_instance_id;\n"
            "    };\n"
            "};\n\n"
            "env {\n"
            "    domain = \"proftrace\";\n"
            "    tracer_name = \"proftrace\";\n"
            "    event_format = %d;\n"
            "    table_hash = \"%016llx\";\n"
            "};\n\n"
            "clock {\n"
            "    name = \"monotonic\";\n"
            "    description = \"CLOCK_MONOTONIC, offset to CLOCK_REALTIME when the trace began\";\n"
            "    freq = 1000000000;\n"
            "    precision = 1;\n"
            "    offset_s = %lld;\n"
            "    offset = %lld;\n"
            "    absolute = false;\n"
            "};\n\n"
            "typealias integer { size = 32; align = 8; signed = false; map = clock.monotonic.value; "
            "} := uint32_clock_monotonic_t;\n"
            "typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; "
            "} := uint64_clock_monotonic_t;\n\n"
            "stream {\n"
            "    packet.context := struct {\n"
            "        uint64_clock_monotonic_t timestamp_begin;\n"
            "        uint64_clock_monotonic_t timestamp_end;\n"
            "        uint64_t content_size;\n"
            "        uint64_t packet_size;\n"
            "        uint64_t packet_seq_num;\n"
            "        uint64_t events_discarded;\n"
            "        uint32_t pid;\n"
            "        uint32_t tid;\n"
            "        uint64_t events_begin;\n"
            "        uint64_t event_count;\n"
            "    };\n"
            "    event.header := struct {\n"
            "        enum : uint8_t { compact = 0 ... 254, extended = 255 } id;\n"
            "        variant <id> {\n"
            "            struct { uint32_clock_monotonic_t timestamp; } compact;\n"
            "            struct { uint16_t id; uint64_clock_monotonic_t timestamp; } extended;\n"
            "        } v;\n"
            "    };\n"
            "};\n\n",
            PT_FORMAT_VERSION, PT_FORMAT_VERSION, (unsigned long long)pt__table_hash(),
            (long long)off_s, (long long)off_ns);
    for (unsigned id = 0; id < pt__nclasses; id++) {
        const struct pt__class *cl = &pt__classes[id];
        fprintf(f, "event {\n    name = \"%s\";\n    id = %u;\n    fields := struct {\n", cl->name,
                id + 1);
        if (cl->is_call)
            fprintf(f,
                    "        integer { size = 5; align = 8; signed = false; } depth;\n"
                    "        enum : integer { size = 1; align = 1; signed = false; } "
                    "{ narrow = 0, wide = 1 } dur_kind;\n"
                    "        enum : integer { size = 1; align = 1; signed = false; } "
                    "{ narrow = 0, wide = 1 } ret_kind;\n"
                    "        enum : integer { size = 1; align = 1; signed = false; } "
                    "{ none = 0, some = 1 } stack_kind;\n"
                    "        variant <dur_kind> { uint32_t narrow; uint64_t wide; } duration;\n"
                    "        variant <ret_kind> { int32_t narrow; int64_t wide; } ret;\n"
                    "        int32_t err;\n"
                    "        variant <stack_kind> { struct { } none; "
                    "struct { uint8_t n; x64_t frames[n]; } some; } stack;\n");
        for (unsigned i = 0; i < cl->nfields; i++)
            fprintf(f, "        %s _%s;\n", wire_type(cl->fields[i].wire), cl->fields[i].name);
        fprintf(f, "    };\n};\n\n");
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int pt__ctf_metadata_read(int dirfd, const char *name, char **text)
{
    struct stat st;
    *text = NULL;
    int fd = pt__open_regular(dirfd, name, &st);
    if (fd < 0)
        return fd;
    int rc = 0;
    char *buf = NULL;
    if (st.st_size > PT__META_MAX) {
        rc = -EFBIG;
        goto out;
    }
    /* the size may change while we read (it never does in a trace): read at most the bound */
    buf = malloc(PT__META_MAX + 1);
    size_t len = 0;
    if (!buf) {
        rc = -ENOMEM;
        goto out;
    }
    for (ssize_t n; len < PT__META_MAX; len += (size_t)n) {
        n = read(fd, buf + len, PT__META_MAX - len);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n < 0) {
            rc = -errno;
            goto out;
        }
        if (n == 0)
            break;
    }
    buf[len] = 0;
    *text = buf;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}

/* The value after `key` ("table_hash = ") on a line inside the block that starts with `block`. */
static const char *block_value(const char *text, const char *block, const char *key)
{
    const char *b = strstr(text, block);
    if (!b || (b != text && b[-1] != '\n'))
        return NULL;
    const char *end = strstr(b, "\n}");
    for (const char *line = b; line && (!end || line < end); line = strchr(line + 1, '\n')) {
        const char *p = line + (*line == '\n');
        while (*p == ' ')
            p++;
        if (!strncmp(p, key, strlen(key)))
            return p + strlen(key);
    }
    return NULL;
}

int pt__ctf_metadata_parse(const char *text, uint64_t *hash, int64_t *realtime_offset,
                           int *have_offset)
{
    const char *v = block_value(text, "env {", "table_hash = \"");
    int found = 0;
    unsigned long long h;
    if (v && sscanf(v, "%16llx\";", &h) == 1) {
        *hash = h;
        found = 1;
    }
    long long sec = 0, ns = 0;
    int got = 0;
    if ((v = block_value(text, "clock {", "offset_s = ")) && sscanf(v, "%lld;", &sec) == 1)
        got = 1;
    if ((v = block_value(text, "clock {", "offset = ")) && sscanf(v, "%lld;", &ns) == 1)
        got = 1;
    /* An offset beyond 64 bits of nanoseconds (a damaged file) is no offset: times stay on the
     * trace's own clock. */
    long long off = 0;
    if (got && (__builtin_mul_overflow(sec, 1000000000ll, &off) ||
                __builtin_add_overflow(off, ns, &off)))
        got = 0, off = 0;
    *have_offset = got;
    *realtime_offset = off;
    return found;
}

int pt__ctf_write_metadata(const char *dir, int64_t realtime_offset)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/metadata", dir);
    if (access(path, F_OK) == 0)
        return 0; /* written by an earlier run: keep its clock offset */
    char *text = pt__ctf_metadata(realtime_offset);
    if (!text)
        return -ENOMEM;
    snprintf(tmp, sizeof tmp, "%s/.metadata.%d.tmp", dir, (int)getpid());
    int fd = pt_perm_open(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    int rc = 0;
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n)
        rc = -EIO;
    if (close(fd) < 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
out:
    free(text);
    return rc;
}
