# proftrace.py — gdb commands for proftrace: the current process's recent events, and who holds a
# resource right now. Load with `source /path/to/gdb/proftrace.py` or `gdb -x` it; an install also
# has gdb load it by itself (auto-load) in a process that has the shim loaded (docs/debugging.md).
#
#   proftrace-events [N]   the last N (default 20) events of the current process's ring(s), one
#                          line each, exactly as `proftrace events` prints them;
#   proftrace-holds NAME   the current holds of a resource, from the holds table the process maps
#                          (its user's, tracer/holds_table.h; in the trace owner's processes it
#                          also lists other users' holds, mirrored by the collector): NAME is a
#                          path (its device and inode are looked up), a POSIX shm name
#                          (/dev/shm/NAME), or a substring of the name the holder used (profile
#                          name, registry subkey).
#   set proftrace-binary PATH   the `proftrace` executable (default: $PROFTRACE_BIN, else the one
#                          built or installed with the shim the process has loaded, else the one
#                          built or installed with this file, else $PATH).
#
# Works on a live inferior and on a core file alike: the ring mapping is found with `info proc
# mappings` (from /proc/PID/maps, or from the core's NT_FILE note) and its bytes are read through
# gdb's memory access, so what is shown is what the process had in memory at that instant, not
# what a collector drained.
#
# Decoding: the ring is copied (sparsely: thread buffers whose control page is all zeros were never
# used) into a temporary trace directory and `proftrace events` decodes it. The event format is
# defined once, in C X-macro tables (include/proftrace/event.h, calls.h); a second decoder in
# Python would have to be kept in step with every row by hand and would drift. The only layout read
# here is the ring header's self-description (magic, endianness, word size, buffer offsets and
# sizes) and, for holds, the holds table header, both versioned.

import fcntl
import inspect
import os
import shutil
import struct
import subprocess
import tempfile

import gdb

RING_MAGIC = b"PTRING\x01\x00"
# struct pt__ring_hdr (tracer/format.h): magic, 10 x u32, 4 x u64, 2 x u32, 3 x u64, i64, 2 x u32, u64
RING_HDR = struct.Struct("<8s10I4Q2I3Qq2IQ")
HOLDS_MAGIC = b"PTHOLDS\x01"
HOLDS_VERSION = 2
# struct pt__holds_hdr (tracer/holds_table.h): magic, 8 x u32, 4 x u64, uid, bell_off,
# pagegen_off, npages, covered_off, ncovered, 3 x u64
HOLDS_HDR = struct.Struct("<8s8I4Q6I3Q")
# struct pt__holds_entry: dev, ino, state, owner, gen, kind, pid, uid, t_begin, name[80]
HOLDS_ENTRY = struct.Struct("<2Q6IQ80s")
HOLDS_OWNER = struct.Struct("<2IQ")
ENDIAN_MARK = 0x01020304
KINDS = {1: "key handle", 2: "MAPI session", 3: "shared mapping"}


class ProftraceBinary(gdb.Parameter):
    """The proftrace executable used to decode rings."""

    set_doc = "Set the proftrace executable used by proftrace-events."
    show_doc = "Show the proftrace executable used by proftrace-events."

    def __init__(self):
        super().__init__("proftrace-binary", gdb.COMMAND_DATA, gdb.PARAM_STRING)
        self.value = ""

    def get_show_string(self, svalue):
        return "proftrace executable: " + (find_binary() or "(not found)")


_binary = ProftraceBinary()

# The directory of this file, taken while gdb runs it: gdb defines __file__ only while a script is
# being sourced (`source`, -x, auto-load) and deletes it afterwards, so a command cannot look it up
# later. The code object's file name is the path gdb opened, however it was loaded.
_proftrace_script_dir = os.path.dirname(os.path.realpath(inspect.currentframe().f_code.co_filename))


def shim_dirs():
    """Directories of the proftrace shims (libproftrace.so) the current process has loaded."""
    dirs = []
    for objfile in gdb.objfiles():
        name = objfile.filename or ""
        if os.path.basename(name).startswith("libproftrace."):
            dirs.append(os.path.dirname(os.path.realpath(name)))
    return dirs


def find_binary():
    """The proftrace executable: `set proftrace-binary`, $PROFTRACE_BIN, the one built or installed
    with the shim the process has loaded (the build that wrote its ring, so it reads it), the one
    built or installed with this file, then $PATH. No variable is needed in the build tree or an
    install: the layouts are fixed (cmake/install.cmake)."""
    if _binary.value:
        return _binary.value
    if os.environ.get("PROFTRACE_BIN"):
        return os.environ["PROFTRACE_BIN"]
    cands = []
    for lib in shim_dirs():  # BUILD/lib, or PREFIX/lib/proftrace
        cands.append(os.path.join(lib, "..", "bin", "proftrace"))
        cands.append(os.path.join(lib, "..", "..", "bin", "proftrace"))
    here = _proftrace_script_dir  # SRC/gdb (built in SRC/build), or PREFIX/share/proftrace/gdb
    cands.append(os.path.join(here, "..", "build", "bin", "proftrace"))
    cands.append(os.path.join(here, "..", "..", "..", "bin", "proftrace"))
    for cand in cands:
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.normpath(cand)
    return shutil.which("proftrace")


def mapped_files():
    """[(start, end, file offset, path)] of every file mapped by the current inferior."""
    try:
        text = gdb.execute("info proc mappings", to_string=True)
    except gdb.error as e:
        raise gdb.GdbError("proftrace: cannot list the mappings: %s" % e)
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5 or not f[0].startswith("0x"):
            continue
        path = f[-1]
        if path == "(deleted)" and len(f) >= 6:
            path = f[-2]
        try:
            out.append((int(f[0], 16), int(f[1], 16), int(f[3], 16), path))
        except ValueError:
            continue
    return out


def ring_mappings():
    """[(start, end, file offset, path)] of every *.ring file mapped by the current inferior."""
    return [m for m in mapped_files()
            if m[3].endswith(".ring") and not os.path.basename(m[3]).startswith(".")]


def read(inf, addr, n):
    return bytes(inf.read_memory(addr, n))


def copy_ring(inf, start, end, dst):
    """Copy one mapped ring into file dst, skipping thread buffers that were never used."""
    hdr = read(inf, start, RING_HDR.size)
    h = RING_HDR.unpack(hdr)
    magic, version, endian, word, hsize, evver, nbufs, sub, nsub, ow, pkthdr = h[:11]
    bufs_off, stride, ctl_size, file_size = h[11:15]
    pid, host_pid = h[15:17]
    if magic != RING_MAGIC:
        raise gdb.GdbError("proftrace: 0x%x: not a proftrace ring (magic %r)" % (start, magic))
    if endian != ENDIAN_MARK or word != 8:
        raise gdb.GdbError("proftrace: ring written with another byte order or word size")
    size = min(end - start, file_size)
    with open(dst, "wb") as f:
        f.truncate(file_size)
        f.seek(0)
        f.write(read(inf, start, min(bufs_off, size)))
        for i in range(nbufs):
            off = bufs_off + i * stride
            if off + ctl_size > size:
                break
            ctl = read(inf, start + off, ctl_size)
            if not any(ctl):
                continue  # never claimed
            n = min(stride, size - off)
            f.seek(off)
            chunk = 1 << 20
            done = 0
            while done < n:
                k = min(chunk, n - done)
                f.write(read(inf, start + off + done, k))
                done += k
    return pid, host_pid


class ProftraceEvents(gdb.Command):
    """proftrace-events [N]: the last N events (default 20) of the current process's ring,
decoded by `proftrace events`."""

    def __init__(self):
        super().__init__("proftrace-events", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        n = int(args[0]) if args else 20
        maps = ring_mappings()
        if not maps:
            raise gdb.GdbError("proftrace: this process maps no proftrace ring "
                               "(not traced: PROFTRACE_DIR unset, or the shim not preloaded)")
        binary = find_binary()
        if not binary:
            raise gdb.GdbError("proftrace: no proftrace executable (set proftrace-binary PATH)")
        inf = gdb.selected_inferior()
        tmp = tempfile.mkdtemp(prefix="proftrace-gdb.")
        try:
            os.mkdir(os.path.join(tmp, "rings"))
            for start, end, off, path in maps:
                if off != 0:
                    continue
                copy_ring(inf, start, end, os.path.join(tmp, "rings", os.path.basename(path)))
            p = subprocess.run([binary, "events", tmp], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, LD_PRELOAD="", PROFTRACE_DIR=""))
            lines = p.stdout.splitlines()
            if p.returncode != 0 and not lines:
                raise gdb.GdbError("proftrace: %s events failed: %s" % (binary, p.stderr.strip()))
            for line in lines[-n:] if n > 0 else lines:
                gdb.write(line + "\n")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def holds_path():
    """The holds table the inferior maps (rings/.holds.<uid>)."""
    for m in mapped_files():
        base = os.path.basename(m[3])
        if base.startswith(".holds.") and base[7:].isdigit():
            return m[3], int(base[7:])
    if not ring_mappings():
        raise gdb.GdbError("proftrace: this process maps no proftrace ring: no trace directory")
    raise gdb.GdbError("proftrace: this process maps no holds table (PROFTRACE_HOLDS=0, or its "
                       "table was refused: see its stderr)")


def owner_alive(fd, lock_off, idx):
    """(alive, pid seen by the kernel) from the owner's lock byte, as the shim checks it."""
    fl = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, lock_off + idx, 1, 0)
    res = fcntl.fcntl(fd, fcntl.F_GETLK, fl)
    ltype, _, _, _, lpid = struct.unpack("hhqqi4x", res)
    return ltype != fcntl.F_UNLCK, lpid


class ProftraceHolds(gdb.Command):
    """proftrace-holds NAME: current holds of a resource (path, shm name, or name substring)."""

    def __init__(self):
        super().__init__("proftrace-holds", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) != 1:
            raise gdb.GdbError("usage: proftrace-holds NAME")
        name = args[0]
        ident = None
        for cand in (name, os.path.join("/dev/shm", name.lstrip("/"))):
            try:
                st = os.stat(cand)
                ident = (st.st_dev, st.st_ino)
                break
            except OSError:
                pass
        path, table_uid = holds_path()
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as e:
            raise gdb.GdbError("proftrace: %s: %s" % (path, e.strerror))
        try:
            st = os.fstat(fd)
            raw = os.pread(fd, HOLDS_HDR.size, 0)
            if len(raw) != HOLDS_HDR.size:
                raise gdb.GdbError("proftrace: %s: truncated" % path)
            h = HOLDS_HDR.unpack(raw)
            magic, version, endian, hsize, nowners, osize, nentries, esize, window = h[:9]
            owners_off, entries_off, lock_off, file_size, uid = h[9:14]
            # Every size below is checked against this reader's layout before it is used.
            if (magic != HOLDS_MAGIC or version != HOLDS_VERSION or endian != ENDIAN_MARK
                    or esize != HOLDS_ENTRY.size or osize != HOLDS_OWNER.size
                    or hsize != HOLDS_HDR.size or uid != table_uid or st.st_uid != table_uid
                    or file_size != st.st_size
                    or owners_off + nowners * osize > entries_off
                    or entries_off + nentries * esize > file_size):
                raise gdb.GdbError("proftrace: %s: not a holds table this version reads" % path)
            data = os.pread(fd, nentries * esize, entries_off)
            owners = os.pread(fd, nowners * osize, owners_off)
            nentries = min(nentries, len(data) // esize)
            shown = 0
            for i in range(nentries):
                (dev, ino, state, owner, gen, kind, pid, huid, t_begin,
                 nm) = HOLDS_ENTRY.unpack_from(data, i * esize)
                if state != 2 or not 1 <= owner <= len(owners) // osize:
                    continue
                nm = nm.split(b"\0", 1)[0].decode("utf-8", "replace")
                if ident is not None:
                    if (dev, ino) != ident:
                        continue
                elif name.lower() not in nm.lower():
                    continue
                ogen, opid, ostart = HOLDS_OWNER.unpack_from(owners, (owner - 1) * osize)
                alive, kpid = owner_alive(fd, lock_off, owner - 1)
                if ogen != gen:
                    alive = False
                state_s = "alive" if alive else "gone (stale entry)"
                seen = " (pid %d here)" % kpid if alive and kpid > 0 and kpid != pid else ""
                if alive and kpid == 0 and gdb.selected_inferior().pid == pid:
                    seen = " (this process)"  # F_GETLK does not report our own process's lock
                if huid != table_uid:
                    seen += " (uid %d, through the collector)" % huid
                gdb.write("%-14s dev %d ino %d  held by pid %d%s [%s]  %s\n"
                          % (KINDS.get(kind, "kind %d" % kind), dev, ino, pid, seen, state_s, nm))
                shown += 1
            if not shown:
                gdb.write("proftrace: nobody holds %s%s\n"
                          % (name, " (dev %d ino %d)" % ident if ident else ""))
        finally:
            os.close(fd)


ProftraceEvents()
ProftraceHolds()
