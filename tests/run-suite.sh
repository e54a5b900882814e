#!/bin/bash
# tests/run-suite.sh NAME DIR - run every DIR/tNNNN-*.sh; print their lines
# and one total "NAME: N passed, N failed".  A script that dies before its
# own total counts as a failure.
name=$1
cd "$(dirname "$0")/$2" || exit 1
pass=0 fail=0 rc=0
for t in t[0-9][0-9][0-9][0-9]-*.sh; do
	out=$(bash "./$t" 2>&1)
	echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	p=$(echo "$out" | grep -c '^ok ')
	f=$(echo "$out" | grep -c '^not ok ')
	if ! echo "$out" | grep -q -E '^[0-9]+ passed, 0 failed$'; then
		[ "$f" = 0 ] && { echo "not ok - $t did not finish"; f=1; }
		rc=1
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$name: $pass passed, $fail failed"
exit $rc
