#!/bin/bash
# tests/image/run-all.sh - the stick image tests (make check-image): each
# tNNNN-*.sh in turn, then one summary line.  The image must be built
# (make image).  PENDING names tests that wait for a feature; they are not
# run (run one by hand: bash tests/image/t0050-e2e-auto.sh).
set -u
cd "$(dirname "$0")" || exit 1
PENDING=""

passed=0 failed=0 bad=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in t[0-9][0-9][0-9][0-9]-*.sh; do
	case " $PENDING " in *" $t "*) echo "# $t: pending, not run"; continue ;; esac
	start=$(date +%s)
	bash "$t" 2>&1 | tee "$log" | grep -v '^[0-9]* passed, [0-9]* failed$'
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1	# died without saying why
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" = 0 ] || bad="$bad $t"
	echo "# $t: $(($(date +%s) - start)) s"
done
[ -z "$bad" ] || echo "# failed:$bad"
echo "image: $passed passed, $failed failed"
[ "$failed" = 0 ]
