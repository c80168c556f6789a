#!/usr/bin/env bash
# bug2-static.sh — bug2-session.sh with the profile library linked statically into the service and the client (eventsvc-static,
# mapiclient-static: libmapisim.a + libwinsim.a, libc dynamic). Interposition sees none of the
# profile library's calls into itself; the shim's inline hooks must.
# Same story, same verdict: fails under MAPISIM_FIXES=none and sid; the global fix prevents it.
bug2_variant=static
source "$(dirname "$0")/bug2-session.sh"
