#!/bin/sh
# test_includes.sh - no include circle in recovery/ (scripts/check-includes),
# and the check itself finds the circles it is there to find.  Run by
# `make check-unit` from the top of the tree.
set -eu

check=scripts/check-includes
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# the tree as it is
$check recovery > "$tmp/out" || { cat "$tmp/out"; fail "recovery/ has an include circle"; }
echo "ok: no include circle in recovery/"

# two fronts that include each other's header (as auto.c and cli.c did)
mkdir "$tmp/two"
printf '#include "b.h"\n' > "$tmp/two/a.c"
printf '/* a.h */\n' > "$tmp/two/a.h"
printf '#include "a.h"\n#include "b.h"\n' > "$tmp/two/b.c"
printf '#include <stdio.h>\n' > "$tmp/two/b.h"
if $check "$tmp/two" > "$tmp/out"; then fail "a circle of two was not found"; fi
grep -Fx "include circle: a -> b -> a" "$tmp/out" || { cat "$tmp/out"; fail "wrong report"; }
echo "ok: a circle of two is found and named"

# a circle through headers only, three long, behind '#  include'
mkdir "$tmp/three"
printf '#  include "y.h"\n' > "$tmp/three/x.h"
printf '#include "z.h"\n' > "$tmp/three/y.h"
printf '#include "x.h"\n' > "$tmp/three/z.h"
printf '#include "x.h"\n' > "$tmp/three/main.c"
if $check "$tmp/three" > "$tmp/out"; then fail "a circle of three was not found"; fi
grep -Fx "include circle: x -> y -> z -> x" "$tmp/out" || { cat "$tmp/out"; fail "wrong report"; }
echo "ok: a circle of three through headers is found"

# a module that includes its own header, and a chain: no circle
mkdir "$tmp/none"
printf '#include "p.h"\n#include "q.h"\n' > "$tmp/none/p.c"
printf '#include "r.h"\n' > "$tmp/none/q.h"
printf '#include "r.h"\n' > "$tmp/none/r.c"
$check "$tmp/none" > "$tmp/out" || { cat "$tmp/out"; fail "a chain was taken for a circle"; }
echo "ok: a chain is no circle"
