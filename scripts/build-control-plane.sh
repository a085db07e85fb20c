#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager) from the Go module proxy
# into a cache outside the repository, keyed by version. Reuses what is already there.
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod points every k8s.io/<staging> module at
# ./staging and requires them at v0.0.0. A throw-away consumer module requires k8s.io/kubernetes and
# replaces each staging module with its published twin (v0.<minor>.<patch>); the list is read from the
# go.mod that the proxy serves, so it follows the version.
set -euo pipefail

K8S_VERSION="${CBO_K8S_VERSION:-v1.35.4}"
ETCD_VERSION="${CBO_ETCD_VERSION:-v3.6.16}"
CACHE_DIR="${CBO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/consistent-backup-operator}"
K8S_DIR="$CACHE_DIR/kubernetes-$K8S_VERSION"
ETCD_DIR="$CACHE_DIR/etcd-$ETCD_VERSION"

command -v go >/dev/null || { echo "build-control-plane: Go (1.25 or newer) is required to build the test control plane" >&2; exit 1; }
# The harness signs its certificates with openssl; install it where it is missing (Debian, as root).
command -v openssl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >&2; }

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
log() { printf '[build-control-plane] %s\n' "$*" >&2; }

# Writes a consumer go.mod in $1 requiring module $2@$3, replacing local (./ or ../) replace targets of
# that module with the published module at version $4 (empty: keep the version that is required).
consumer_module() {
  local dir=$1 mod=$2 ver=$3 staging_ver=$4 gomod
  mkdir -p "$dir"
  gomod=$(cd "$dir" && go mod download -json "$mod@$ver" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module cbo.local/controlplane-build"
    echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')"
    echo "require $mod $ver"
    if [ -n "$staging_ver" ]; then
      awk '/=> \.\.?\// && $1 ~ /^k8s\.io\// { print $1 }' "$gomod" | sort -u |
        while read -r m; do echo "replace $m => $m $staging_ver"; done
    fi
  } >"$dir/go.mod"
}

build_kubernetes() {
  local minor patch staging work ldflags now
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  patch=$(echo "$K8S_VERSION" | cut -d. -f3)
  staging="v0.$minor.$patch"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "kubernetes $K8S_VERSION (staging modules $staging) -> $K8S_DIR"
  consumer_module "$work" k8s.io/kubernetes "$K8S_VERSION" "$staging"
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$now"
  done
  (
    cd "$work"
    go get k8s.io/kubernetes/cmd/kube-apiserver@"$K8S_VERSION" k8s.io/kubernetes/cmd/kube-controller-manager@"$K8S_VERSION"
    mkdir -p "$K8S_DIR.tmp"
    go build -trimpath -ldflags "$ldflags" -o "$K8S_DIR.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  )
  rm -rf "$K8S_DIR" && mv "$K8S_DIR.tmp" "$K8S_DIR"
}

build_etcd() {
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "etcd $ETCD_VERSION -> $ETCD_DIR"
  consumer_module "$work" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" ""
  (
    cd "$work"
    go get go.etcd.io/etcd/server/v3@"$ETCD_VERSION"
    mkdir -p "$ETCD_DIR.tmp"
    go build -trimpath -ldflags "-s -w" -o "$ETCD_DIR.tmp/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$ETCD_DIR" && mv "$ETCD_DIR.tmp" "$ETCD_DIR"
}

[ -x "$ETCD_DIR/etcd" ] || build_etcd
[ -x "$K8S_DIR/kube-apiserver" ] && [ -x "$K8S_DIR/kube-controller-manager" ] || build_kubernetes

# The harness reads these three lines.
echo "ETCD=$ETCD_DIR/etcd"
echo "KUBE_APISERVER=$K8S_DIR/kube-apiserver"
echo "KUBE_CONTROLLER_MANAGER=$K8S_DIR/kube-controller-manager"
