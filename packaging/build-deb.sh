#!/usr/bin/env bash
# Stages the release binary, the unit, the default config, the dashboards, the alert rules and the man
# page, then builds dist/runledger_VERSION_amd64.deb (dpkg-deb) and dist/runledger_VERSION_linux_amd64.tar.gz.
# Depends is read from the binary: each library it names (ELF NEEDED) is looked up with dpkg -S, so a new
# link dependency cannot be forgotten; libc6's floor is the newest GLIBC_ symbol version it uses.
# Usage: packaging/build-deb.sh VERSION BINARY OUTDIR
set -euo pipefail
version=$1 binary=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "build-deb: no version" >&2; exit 1; }

if ldd "$binary" | grep -q 'libswift\|libFoundation\|libdispatch\|/opt/swift'; then
	echo "build-deb: $binary still links the Swift runtime:" >&2
	ldd "$binary" | grep 'swift\|Foundation\|dispatch' >&2
	exit 1
fi

depends=()
for lib in $(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	# The dynamic loader is libc6's; ldd prints it without "=>".
	[[ $lib == ld-linux* ]] && lib=libc.so.6
	path=$(ldd "$binary" | awk -v l="$lib" '$1 == l { print $3 }')
	[ -n "$path" ] || { echo "build-deb: $lib not found by ldd" >&2; exit 1; }
	# Merged /usr: dpkg knows the file under /lib or /usr/lib, whichever the package ships.
	pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null) ||
		{ echo "build-deb: no package ships $path" >&2; exit 1; }
	pkg=${pkg%%:*}
	[[ " ${depends[*]} " == *" $pkg "* ]] || depends+=("$pkg")
done
glibc=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
deps=""
for p in "${depends[@]}"; do
	if [ "$p" = libc6 ]; then p="libc6 (>= $glibc)"; fi
	deps="${deps:+$deps, }$p"
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/runledger"
install -D -m 0755 "$binary" "$pkg/usr/bin/runledger"
strip --strip-unneeded "$pkg/usr/bin/runledger"
install -D -m 0644 "$root/packaging/runledger.service" "$pkg/lib/systemd/system/runledger.service"
install -D -m 0644 "$root/packaging/runledger.json" "$pkg/etc/runledger/runledger.json"
install -d "$pkg/usr/share/runledger/dashboards" "$pkg/usr/share/runledger/alerts"
install -m 0644 "$root"/dashboards/*.json "$pkg/usr/share/runledger/dashboards/"
install -m 0644 "$root"/alerts/*.yml "$pkg/usr/share/runledger/alerts/"
install -d "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/runledger"
sed "s/@VERSION@/$version/" "$root/packaging/runledger.1" | gzip -9n >"$pkg/usr/share/man/man1/runledger.1.gz"
for doc in operations configuration web-config metrics alerts runbooks dashboards chat-alerts; do
	install -m 0644 "$root/docs/$doc.md" "$pkg/usr/share/doc/runledger/"
done

install -d "$pkg/DEBIAN"
install -m 0755 "$root"/packaging/debian/{postinst,prerm,postrm} "$pkg/DEBIAN/"
echo /etc/runledger/runledger.json >"$pkg/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: runledger
Version: $version
Architecture: $arch
Maintainer: RunLedger maintainers <runledger@localhost>
Installed-Size: $size
Depends: $deps, adduser
Section: admin
Priority: optional
Description: per-run ledger and Prometheus metrics from an AI-agent executor's logs
 RunLedger follows an executor's log files or its journal, keeps one record per run in a
 SQLite ledger, and serves /metrics, /api/runs and pages over HTTP. It runs as the
 runledger.service systemd unit (Type=notify, with a watchdog), as the runledger user.
CONTROL

mkdir -p "$out"
deb="$out/runledger_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
tarname="runledger-$version"
mkdir "$stage/$tarname"
cp -a "$pkg/usr/bin/runledger" "$pkg/lib/systemd/system/runledger.service" "$pkg/etc/runledger/runledger.json" \
	"$pkg/usr/share/runledger/dashboards" "$pkg/usr/share/runledger/alerts" \
	"$pkg/usr/share/man/man1/runledger.1.gz" "$stage/$tarname/"
tar -C "$stage" --owner=0 --group=0 -czf "$out/runledger_${version}_linux_${arch}.tar.gz" "$tarname"
echo "build-deb: $deb ($(du -h "$deb" | cut -f1); binary $(du -h "$pkg/usr/bin/runledger" | cut -f1)); Depends: $deps"
echo "build-deb: $out/runledger_${version}_linux_${arch}.tar.gz"
