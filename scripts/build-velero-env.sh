#!/usr/bin/env bash
# Builds the real Velero environment (its CRDs: scripts/velero-crds.sh) the end-to-end tests and the playground run: Velero (server + CLI),
# the AWS object-store plugin, kwok (nodes and exec without a kubelet) and moto (S3) in a venv. Everything
# lands in the cache beside the control plane, keyed by version, and is reused when present.
#
# One cold build at a time (the plugin's link alone needs ~3.6 GB): a lock serialises concurrent runs.
set -euo pipefail

VELERO_VERSION="${CBO_VELERO_VERSION:-v1.18.3}"
AWS_PLUGIN_VERSION="${CBO_AWS_PLUGIN_VERSION:-v1.14.3}"
KWOK_VERSION="${CBO_KWOK_VERSION:-v0.8.0}"
MOTO_VERSION="${CBO_MOTO_VERSION:-5.2.5}"
CACHE_DIR="${CBO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/consistent-backup-operator}"
# "-loopback": built with the one change described in build_velero.
VELERO_DIR="$CACHE_DIR/velero-$VELERO_VERSION-loopback"
PLUGIN_DIR="$CACHE_DIR/velero-plugin-for-aws-$AWS_PLUGIN_VERSION"
KWOK_DIR="$CACHE_DIR/kwok-$KWOK_VERSION"
MOTO_DIR="$CACHE_DIR/moto-$MOTO_VERSION"

command -v go >/dev/null || { echo "build-velero-env: Go (1.25 or newer) is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "build-velero-env: python3 is required (for moto)" >&2; exit 1; }

SCRIPT_NAME=build-velero-env
# shellcheck source=lib/go-build.sh
source "$(dirname "$0")/lib/go-build.sh"

module_dir() { (cd "$1" && go mod download -json "$2@$3" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); }

build_velero() {
  local work dir server
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "[1/4] velero $VELERO_VERSION -> $VELERO_DIR (cold: ~9 min)"
  dir=$(module_dir "$work" github.com/vmware-tanzu/velero "$VELERO_VERSION")
  # One change to Velero's source: its controller-runtime manager also serves metrics, on :8080 (all
  # addresses) with no flag to move it. That breaks "loopback only", collides with the operator's default
  # 127.0.0.1:8080 and with any second Velero on the machine; Velero's own metrics (--metrics-address) stay.
  cp -r "$dir" "$work/velero-src"
  chmod -R u+w "$work/velero-src"
  server="$work/velero-src/pkg/cmd/server/server.go"
  sed -i 's|^\t\t\tScheme: scheme,$|&\n\t\t\tMetrics: metricsserver.Options{BindAddress: "0"},|; s|^import (|&\n\tmetricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"|' "$server"
  grep -q 'Metrics: metricsserver.Options{BindAddress: "0"}' "$server" ||
    { echo "build-velero-env: cannot turn off controller-runtime's metrics server in $server" >&2; exit 1; }
  # Velero's go.mod replaces kopia with its fork, which `go install` refuses: a consumer module carries
  # the same replaces. The module proxy here refuses k8s.io/cli-runtime v0.33.12; its patch twin builds.
  {
    echo "module cbo.local/velero-build"
    echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')"
    echo "require github.com/vmware-tanzu/velero $VELERO_VERSION"
    echo "replace github.com/vmware-tanzu/velero => ./velero-src"
    awk '/^replace / && $0 !~ /=> \.\.?\// { print } /^replace \($/ { inblock = 1; next } inblock && /^\)/ { inblock = 0 } inblock && $0 !~ /=> \.\.?\// { print "replace " $0 }' "$dir/go.mod"
    echo "replace k8s.io/cli-runtime v0.33.12 => k8s.io/cli-runtime v0.33.13"
  } >"$work/go.mod"
  (
    cd "$work"
    rm -rf "$VELERO_DIR.tmp" && mkdir -p "$VELERO_DIR.tmp"
    with_heartbeat velero go build -trimpath \
      -ldflags "-s -w -X github.com/vmware-tanzu/velero/pkg/buildinfo.Version=$VELERO_VERSION" \
      -o "$VELERO_DIR.tmp/velero" github.com/vmware-tanzu/velero/cmd/velero
  )
  rm -rf "$VELERO_DIR" && mv "$VELERO_DIR.tmp" "$VELERO_DIR"
}

build_plugin() {
  log "[2/4] velero-plugin-for-aws $AWS_PLUGIN_VERSION -> $PLUGIN_DIR (cold: ~9 min, 3.6 GB at link)"
  mkdir -p "$PLUGIN_DIR.tmp"
  GOBIN="$PLUGIN_DIR.tmp" with_heartbeat velero-plugin-for-aws \
    go install -trimpath -ldflags "-s -w" \
    github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws@"$AWS_PLUGIN_VERSION"
  rm -rf "$PLUGIN_DIR" && mv "$PLUGIN_DIR.tmp" "$PLUGIN_DIR"
}

build_kwok() {
  local dir
  log "[3/4] kwok $KWOK_VERSION -> $KWOK_DIR (cold: ~2 min)"
  rm -rf "$KWOK_DIR.tmp"
  mkdir -p "$KWOK_DIR.tmp/stages" "$KWOK_DIR.tmp/crds"
  GOBIN="$KWOK_DIR.tmp" with_heartbeat kwok go install -trimpath -ldflags "-s -w" sigs.k8s.io/kwok/cmd/kwok@"$KWOK_VERSION"
  dir=$(module_dir "$KWOK_DIR.tmp" sigs.k8s.io/kwok "$KWOK_VERSION")
  # kwok refuses to start without stages. Its default set (what `kwokctl` installs) lives in the module beside
  # chaos stages, alternatives with the same file names and test data, so the files are named one by one.
  cp "$dir/kustomize/stage/node/fast/node-initialize.yaml" \
    "$dir/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
    "$dir/kustomize/stage/pod/fast/pod-ready.yaml" \
    "$dir/kustomize/stage/pod/fast/pod-complete.yaml" \
    "$dir/kustomize/stage/pod/fast/pod-delete.yaml" "$KWOK_DIR.tmp/stages/"
  # Per-pod exec rules are namespaced Exec objects (kwok --enable-crds=Exec): only that CRD, no ClusterExec.
  cp "$dir/kustomize/crd/bases/kwok.x-k8s.io_execs.yaml" "$KWOK_DIR.tmp/crds/"
  chmod -R u+w "$KWOK_DIR.tmp"
  rm -rf "$KWOK_DIR" && mv "$KWOK_DIR.tmp" "$KWOK_DIR"
}

build_moto() {
  log "[4/4] moto $MOTO_VERSION (S3 server) -> $MOTO_DIR (~1.5 min)"
  # A venv's scripts name its absolute path, so it is built in place; .complete marks a finished install.
  rm -rf "$MOTO_DIR"
  python3 -m venv "$MOTO_DIR" >&2
  with_heartbeat moto "$MOTO_DIR/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
  touch "$MOTO_DIR/.complete"
}

[ -x "$VELERO_DIR/velero" ] || build_velero
[ -x "$PLUGIN_DIR/velero-plugin-for-aws" ] || build_plugin
[ -x "$KWOK_DIR/kwok" ] && [ -f "$KWOK_DIR/crds/kwok.x-k8s.io_execs.yaml" ] || build_kwok
[ -f "$MOTO_DIR/.complete" ] || build_moto
log "ready"

# The harness reads these lines.
echo "VELERO=$VELERO_DIR/velero"
echo "VELERO_PLUGIN_DIR=$PLUGIN_DIR"
echo "KWOK=$KWOK_DIR/kwok"
echo "KWOK_STAGES=$KWOK_DIR/stages"
echo "KWOK_CRDS=$KWOK_DIR/crds"
echo "MOTO_SERVER=$MOTO_DIR/bin/moto_server"
