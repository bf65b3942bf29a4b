#!/usr/bin/env bash
# Builds a real kube-apiserver from Debian's `kubernetes` source package, for the tests that
# compare watchscope with the real thing (kube mode, protobuf values written by an apiserver).
# The system's apt sources are not touched: a private APT_CONFIG adds the deb-src entries,
# derived from the system's own entries so no mirror is named here.
# Output: .cache/kube-apiserver/kube-apiserver (reused when present).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.cache/kube-apiserver"
bin="$out/kube-apiserver"
if [ -x "$bin" ]; then echo "kube-apiserver: cached at $bin"; exit 0; fi
for tool in go make dpkg-source rsync; do
  command -v "$tool" >/dev/null || { echo "build-kube-apiserver: '$tool' is missing (apt-get install golang-go make dpkg-dev rsync)" >&2; exit 1; }
done
work="$out/src"
rm -rf "$work"; mkdir -p "$work/apt/lists/partial" "$work/apt/sources.list.d"
# deb-src twins of the system's deb822 and one-line sources
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed -e 's/^Types:.*/Types: deb-src/' "$f" > "$work/apt/sources.list.d/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
  grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > "$work/apt/sources.list" || true
fi
[ -f "$work/apt/sources.list" ] || : > "$work/apt/sources.list"
cat > "$work/apt.conf" <<CONF
Dir::State::Lists "$work/apt/lists";
Dir::Etc::SourceList "$work/apt/sources.list";
Dir::Etc::SourceParts "$work/apt/sources.list.d";
CONF
export APT_CONFIG="$work/apt.conf"
apt-get update -qq
(cd "$work" && apt-get source -qq --download-only kubernetes && dpkg-source -x --no-check kubernetes_*.dsc tree >/dev/null)
cd "$work/tree"
# The tree's make runs code generation first; a plain `go build` would fail.
make WHAT=cmd/kube-apiserver >"$out/build.log" 2>&1 || { tail -40 "$out/build.log" >&2; exit 1; }
found=$(find "$work/tree/_output" -type f -name kube-apiserver -perm -u+x | head -1)
[ -n "$found" ] || { echo "build-kube-apiserver: no binary produced" >&2; exit 1; }
cp "$found" "$bin"
rm -rf "$work"
echo "kube-apiserver: built $($bin --version)"
