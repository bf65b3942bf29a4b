#!/usr/bin/env bash
# Fetches etcd 3.5 (Debian trixie's etcd-server) for the tests that compare behaviour on an etcd
# whose RequestWatchProgress kube-apiserver trusts (≥ 3.5.13). The system's apt sources are not
# touched: a private APT_CONFIG holds copies of the system's own entries with the suites moved to
# trixie, so no mirror is named here. The package is unpacked with dpkg -x, never installed.
# Output: .cache/etcd-3.5/usr/bin/etcd (reused when present).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.cache/etcd-3.5"
bin="$out/usr/bin/etcd"
if [ -x "$bin" ]; then echo "etcd 3.5: cached at $bin"; exit 0; fi
for tool in apt-get dpkg; do
  command -v "$tool" >/dev/null || { echo "fetch-etcd-3.5: '$tool' is missing (a Debian/Ubuntu system is needed)" >&2; exit 1; }
done
work="$out.work"
rm -rf "$work"; mkdir -p "$work/preferences.d" "$work/lists/partial" "$work/cache/archives/partial" "$work/sources.list.d" "$work/deb"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || { echo "fetch-etcd-3.5: cannot tell this system's release from /etc/os-release" >&2; exit 1; }
# Same URIs, components and keyrings as the system's entries; only the suites change:
# <codename> → trixie, <codename>-updates → trixie-updates, <codename>-security → trixie-security.
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed -e "/^Suites:/s/\b$codename\b/trixie/g" "$f" > "$work/sources.list.d/$(basename "$f")"
done
: > "$work/sources.list"
if [ -f /etc/apt/sources.list ]; then
  grep -E '^deb ' /etc/apt/sources.list | sed -E "s/^(deb( \[[^]]*\])? [^ ]+ )$codename(-[a-z]+)?( |$)/\1trixie\3\4/" > "$work/sources.list" || true
fi
grep -rqs trixie "$work/sources.list" "$work/sources.list.d" || { echo "fetch-etcd-3.5: no Debian entry for '$codename' in the system's apt sources to derive trixie's from" >&2; exit 1; }
cat > "$work/apt.conf" <<CONF
Dir::State::Lists "$work/lists";
Dir::State::status "/dev/null";
Dir::Cache "$work/cache";
Dir::Etc::SourceList "$work/sources.list";
Dir::Etc::SourceParts "$work/sources.list.d";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$work/preferences.d";
APT::Get::List-Cleanup "false";
CONF
export APT_CONFIG="$work/apt.conf"
apt-get update -qq -o APT::Sandbox::User=root >/dev/null 2>"$work/update.err" || { cat "$work/update.err" >&2; exit 1; }
(cd "$work/deb" && apt-get download -qq -o APT::Sandbox::User=root etcd-server) || { echo "fetch-etcd-3.5: apt-get download etcd-server failed" >&2; exit 1; }
deb=$(ls "$work"/deb/etcd-server_*.deb | head -1)
rm -rf "$out"; mkdir -p "$out"
dpkg -x "$deb" "$out"
rm -rf "$work"
[ -x "$bin" ] || { echo "fetch-etcd-3.5: $(basename "$deb") has no usr/bin/etcd" >&2; exit 1; }
echo "etcd 3.5: $("$bin" --version | head -1) at $bin"
