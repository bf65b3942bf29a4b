#!/usr/bin/env bash
# Installs what watchscope's tests and demo need when it is missing, where this machine allows it
# (root or passwordless sudo with apt), and otherwise says what to install.
#   scripts/setup.sh            npm packages + etcd (enough for the demo)
#   scripts/setup.sh --test     also Chromium, kubectl, the kube-apiserver build tools, etcd 3.5 and
#                               the kube-apiserver v1.36 the differential tests compare with
#   --quiet                     print only what it does
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0; quiet=0
for a in "$@"; do
  case "$a" in
    --test) want_test=1 ;;
    --quiet) quiet=1 ;;
    *) echo "setup: unknown flag $a" >&2; exit 2 ;;
  esac
done
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }

need_apt=()
command -v etcd >/dev/null || [ -n "${ETCD_BIN:-}" ] || need_apt+=(etcd-server)
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null || need_apt+=(chromium)
  command -v kubectl >/dev/null || need_apt+=(kubernetes-client)
  command -v openssl >/dev/null || need_apt+=(openssl)
  # building a real kube-apiserver from Debian's source package
  command -v go >/dev/null || need_apt+=(golang-go)
  command -v dpkg-source >/dev/null || need_apt+=(dpkg-dev)
  command -v rsync >/dev/null || need_apt+=(rsync)
  command -v make >/dev/null || need_apt+=(make)
  # the v1.36 kube-apiserver beside the repository is xz-compressed
  command -v xz >/dev/null || need_apt+=(xz-utils)
  # the audit log bench reads its log with jq as the baseline
  command -v jq >/dev/null || need_apt+=(jq)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo -n"
    echo "setup: installing ${need_apt[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]}; install them (Debian/Ubuntu: sudo apt-get install ${need_apt[*]}), or set ETCD_BIN to an etcd binary" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "$want_test" = 1 ]; then
  # etcd 3.5.16 (Debian trixie's etcd-server, unpacked, never installed) for the runs on an etcd
  # whose RequestWatchProgress kube-apiserver trusts.
  bash scripts/fetch-etcd-3.5.sh || echo "setup: WARNING: etcd 3.5 could not be fetched; the tests on etcd 3.5 will report themselves skipped" >&2
  kube136=../shared/kube/kube-apiserver-1.36.xz
  if [ -f "$kube136" ] && [ ! -x .cache/kube-apiserver-1.36/kube-apiserver ]; then
    say "unpacking kube-apiserver v1.36"
    mkdir -p .cache/kube-apiserver-1.36
    xz -dc "$kube136" > .cache/kube-apiserver-1.36/kube-apiserver.tmp
    chmod +x .cache/kube-apiserver-1.36/kube-apiserver.tmp
    mv .cache/kube-apiserver-1.36/kube-apiserver.tmp .cache/kube-apiserver-1.36/kube-apiserver
  elif [ ! -f "$kube136" ]; then
    echo "setup: WARNING: no kube-apiserver v1.36 beside the repository (../shared/kube); the differential tests will report themselves skipped" >&2
  fi
fi
say "ready: etcd $(etcd --version 2>/dev/null | head -1 | awk '{print $3}')"
