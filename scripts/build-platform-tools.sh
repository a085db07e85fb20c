#!/usr/bin/env bash
# Builds the tools the platform tests run (test/platform): helm (from the Go module proxy), the Argo CD Lua
# checker (tools/argocd-lua: gopher-lua as Argo CD sets it up), promtool (from Debian's `prometheus`
# package, unpacked, never installed as a service) and the Prometheus Operator's PodMonitor and PrometheusRule
# CRDs (from its Go module). Cached beside the control plane, keyed by version.
set -euo pipefail

HELM_VERSION="${CBO_HELM_VERSION:-v3.21.4}"
GOPHER_LUA_VERSION="v1.1.1" # pinned in tools/argocd-lua/go.mod: the version Argo CD builds with
PROMETHEUS_DEB_VERSION="${CBO_PROMETHEUS_DEB_VERSION:-2.42.0+ds-5+deb12u1}"
CACHE_DIR="${CBO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/consistent-backup-operator}"
HELM_DIR="$CACHE_DIR/helm-$HELM_VERSION"
LUA_SRC="$(cd "$(dirname "$0")/.." && pwd)/tools/argocd-lua"
LUA_DIR="$CACHE_DIR/argocd-lua-$GOPHER_LUA_VERSION-$(cat "$LUA_SRC"/go.mod "$LUA_SRC"/go.sum "$LUA_SRC"/*.go | sha256sum | cut -c1-12)"
PROM_DIR="$CACHE_DIR/promtool-$PROMETHEUS_DEB_VERSION"
PROM_OPERATOR_VERSION="${CBO_PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
MONITORING_CRDS="$CACHE_DIR/prometheus-operator-crds-$PROM_OPERATOR_VERSION"

command -v go >/dev/null || { echo "build-platform-tools: Go (1.25 or newer) is required" >&2; exit 1; }
SCRIPT_NAME=build-platform-tools
# shellcheck source=lib/go-build.sh
source "$(dirname "$0")/lib/go-build.sh"

build_helm() {
  log "[1/4] helm $HELM_VERSION -> $HELM_DIR (cold: ~4 min)"
  rm -rf "$HELM_DIR.tmp" && mkdir -p "$HELM_DIR.tmp"
  GOBIN="$HELM_DIR.tmp" with_heartbeat helm go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    helm.sh/helm/v3/cmd/helm@"$HELM_VERSION"
  rm -rf "$HELM_DIR" && mv "$HELM_DIR.tmp" "$HELM_DIR"
}

build_lua() {
  log "[2/4] Argo CD Lua checker (gopher-lua $GOPHER_LUA_VERSION) -> $LUA_DIR (~30 s)"
  rm -rf "$LUA_DIR.tmp" && mkdir -p "$LUA_DIR.tmp"
  (cd "$LUA_SRC" && with_heartbeat argocd-lua go build -trimpath -ldflags "-s -w" -o "$LUA_DIR.tmp/argocd-lua" .)
  rm -rf "$LUA_DIR" && mv "$LUA_DIR.tmp" "$LUA_DIR"
}

install_promtool() {
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "[3/4] promtool from Debian's prometheus $PROMETHEUS_DEB_VERSION -> $PROM_DIR"
  command -v apt-get >/dev/null || { echo "build-platform-tools: apt-get is needed for promtool (or put promtool on PATH)" >&2; exit 1; }
  (cd "$work" && { apt-get download "prometheus=$PROMETHEUS_DEB_VERSION" >&2 2>/dev/null ||
    { apt-get update -qq >&2 && apt-get download "prometheus=$PROMETHEUS_DEB_VERSION" >&2; }; })
  dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
  rm -rf "$PROM_DIR.tmp" && mkdir -p "$PROM_DIR.tmp"
  cp "$work/root/usr/bin/promtool" "$PROM_DIR.tmp/"
  rm -rf "$PROM_DIR" && mv "$PROM_DIR.tmp" "$PROM_DIR"
}

# The PodMonitor and PrometheusRule CRDs, for the server-side dry run of the chart's monitoring objects.
fetch_monitoring_crds() {
  local dir
  log "[4/4] Prometheus Operator $PROM_OPERATOR_VERSION CRDs (PodMonitor, PrometheusRule) -> $MONITORING_CRDS"
  dir=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$MONITORING_CRDS.tmp" && mkdir -p "$MONITORING_CRDS.tmp"
  cp "$dir"/example/prometheus-operator-crd/monitoring.coreos.com_{podmonitors,prometheusrules}.yaml "$MONITORING_CRDS.tmp/"
  chmod -R u+w "$MONITORING_CRDS.tmp"
  rm -rf "$MONITORING_CRDS" && mv "$MONITORING_CRDS.tmp" "$MONITORING_CRDS"
}

[ -x "$HELM_DIR/helm" ] || build_helm
[ -x "$LUA_DIR/argocd-lua" ] || build_lua
[ -x "$PROM_DIR/promtool" ] || install_promtool
[ -f "$MONITORING_CRDS/monitoring.coreos.com_prometheusrules.yaml" ] || fetch_monitoring_crds
log "ready"

# The tests read these lines.
echo "HELM=$HELM_DIR/helm"
echo "ARGOCD_LUA=$LUA_DIR/argocd-lua"
echo "PROMTOOL=$PROM_DIR/promtool"
echo "MONITORING_CRDS=$MONITORING_CRDS"
