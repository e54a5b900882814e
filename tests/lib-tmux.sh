# tests/lib-tmux.sh - sourced after tests/lib.sh by tests that drive a
# terminal program through tmux like a person at the console:
#   tm ARGS...             tmux on this test's private server
#   tmux_fresh             no session left from a previous test
#   screen                 the visible screen (wrapped lines joined)
#   wait_for TEXT [S]      poll the screen until TEXT shows (default 30 s)
#   keys KEYS...           type (tmux send-keys)
# Each test kills its server on exit: trap '... tm kill-server ...' EXIT.

SOCK=bootfix-tmux-$$
tm() { tmux -L "$SOCK" "$@"; }
tmux_fresh() {
	tm kill-server 2>/dev/null
	while tm has-session 2>/dev/null; do sleep 0.1; done
}
screen() { tm capture-pane -p -J; }
wait_for() {
	local i
	for i in $(seq 1 $(( ${2:-30} * 5 ))); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.2
	done
	echo "timed out waiting for: $1"; screen; return 1
}
keys() { tm send-keys "$@"; }
