#!/usr/bin/env bash
# bug2-symbolic.sh — bug2-session.sh with the profile library built as ONE shared library linked with -Bsymbolic (libmapisim-symbolic.so, used by
# eventsvc-symbolic and mapiclient-symbolic): its MAPI functions call its registry functions
# directly, so interposition sees none of those calls; the shim's inline hooks must.
# Same story, same verdict: fails under MAPISIM_FIXES=none and sid; the global fix prevents it.
bug2_variant=symbolic
source "$(dirname "$0")/bug2-session.sh"
