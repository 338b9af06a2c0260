#!/usr/bin/env bash
# The .deb as an operator gets it: installed on this machine with dpkg -i (the Depends resolved against the
# real system, the maintainer scripts run for real: a clean root from `dpkg --root` would have neither a
# shell for them nor the libraries), checked, then removed and purged. This machine is a container with no
# systemd running, so the unit is checked offline: `systemd-analyze verify`, and `systemd-analyze security
# --offline=yes`, whose exposure must stay below 2.0, and serve's system calls (strace) against its filter. Prints one line per check and 'N passed, N failed'.
# Usage: packaging/package-test.sh VERSION DEB
set -uo pipefail
version=$1 deb=$2
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
check() {
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1)) && echo "ok: $name"
	else
		failed=$((failed + 1)) && echo "FAIL: $name"
	fi
}
finish() {
	echo "package-test: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
[ -f "$deb" ] || { echo "package-test: no $deb (make release)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "package-test: dpkg -i needs root"; exit 1; }

# Ours to install and purge: a leftover from an interrupted run goes first.
if dpkg -s runledger >/dev/null 2>&1; then dpkg --purge runledger >/dev/null; fi
user_before=$(getent passwd runledger || true)
cleanup() {
	dpkg --purge runledger >/dev/null 2>&1 || true
	# A user this test made goes too; one that was there before stays.
	if [ -z "$user_before" ] && getent passwd runledger >/dev/null; then deluser --system runledger >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/runledger ./lib/systemd/system/runledger.service ./etc/runledger/runledger.json \
	./usr/share/runledger/dashboards/runledger-health.json ./usr/share/runledger/alerts/runledger-alerts.yml \
	./usr/share/man/man1/runledger.1.gz ./usr/share/doc/runledger/operations.md; do
	check "the package ships $f" grep -q " $f\$" <<<"$contents"
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "package-test: Depends: $depends"
check "Depends names no Swift package" bash -c '! grep -qi swift <<<"$0"' "$depends"
check "the config is a conffile" grep -qx /etc/runledger/runledger.json <(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)

check "dpkg -i installs it" dpkg -i "$deb"
check "the runledger system user exists" bash -c '[ "$(id -u runledger)" -lt 1000 ]'
check "/var/lib/runledger belongs to runledger" bash -c '[ "$(stat -c %U /var/lib/runledger)" = runledger ]'
check "ldd names no Swift library" bash -c '! ldd /usr/bin/runledger | grep -Eq "swift|Foundation|dispatch|not found"'
check "runledger --version says $version" bash -c '/usr/bin/runledger --version | head -1 | grep -qx "runledger, version $0 (revision: [0-9a-f]\{12\}\(-dirty\)\?)"' "$version"
check "the default config passes runledger check" /usr/bin/runledger check --config /etc/runledger/runledger.json
check "runledger --help names every command" bash -c \
	'h=$(/usr/bin/runledger --help); for c in serve replay runs metrics alerts check; do grep -q "  $c " <<<"$h" || exit 1; done'
check "man runledger renders" bash -c 'man -l /usr/share/man/man1/runledger.1.gz 2>/dev/null | grep -q "runledger serve" ||
	zcat /usr/share/man/man1/runledger.1.gz | grep -q "^.B runledger serve"'

unit=/lib/systemd/system/runledger.service
verify=$(systemd-analyze verify "$unit" 2>&1)
verified=$?
[ -z "$verify" ] || echo "$verify" | sed 's/^/  verify: /'
check "systemd-analyze verify passes on the unit, with nothing to say" test "$verified" -eq 0 -a -z "$verify"
security=$(systemd-analyze security --offline=yes "$unit" 2>&1 | tail -1)
echo "package-test: $security"
score=$(sed -n 's/.*Overall exposure level for runledger.service: \([0-9.]*\).*/\1/p' <<<"$security")
check "systemd-analyze security: exposure ${score:-?} below 2.0" awk -v s="${score:-99}" 'BEGIN { exit !(s < 2.0) }'

# A backlog of 240,000 lines (43 MB, about a second to read): READY=1 must wait until it is read.
backlog=$(mktemp -d)
python3 "$here/../tools/gen-executor-log.py" --runs 2000 --seed 15 --log "$backlog/one.log" --truth "$backlog/truth.json"
cat "$backlog/one.log" "$backlog/one.log" "$backlog/one.log" >"$backlog/executor.log"
check "sd_notify READY=1 and WATCHDOG=1 from the installed binary" \
	python3 "$here/notify-test.py" /usr/bin/runledger "$backlog/executor.log"
rm -rf "$backlog"
# The unit cannot be started here (no systemd): serve's real system calls, as the runledger user, against the filter.
check "every system call serve makes passes the unit's SystemCallFilter" \
	python3 "$here/syscall-check.py" /usr/bin/runledger "$unit" "$here/../examples/executor.log" runledger

printf '{"db": "/var/lib/runledger/runledger.db"}\n' >/var/lib/runledger/marker.json
check "dpkg --remove removes it" dpkg --remove runledger
check "remove keeps the ledger's directory and the config" \
	bash -c '[ -f /var/lib/runledger/marker.json ] && [ -f /etc/runledger/runledger.json ] && [ ! -e /usr/bin/runledger ]'
check "dpkg --purge purges it" dpkg --purge runledger
check "purge removes the ledger and the config" bash -c '[ ! -e /var/lib/runledger ] && [ ! -e /etc/runledger ]'
finish
