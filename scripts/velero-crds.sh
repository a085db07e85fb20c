#!/usr/bin/env bash
# Velero's CustomResourceDefinitions for the Velero version the tests run, taken from its Go module (a
# download, no build): the API server validates the operator's Velero objects against exactly these.
set -euo pipefail

VELERO_VERSION="${CBO_VELERO_VERSION:-v1.18.3}"
CACHE_DIR="${CBO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/consistent-backup-operator}"
CRD_DIR="$CACHE_DIR/velero-crds-$VELERO_VERSION"

command -v go >/dev/null || { echo "velero-crds: Go (1.25 or newer) is required to fetch Velero's CRDs" >&2; exit 1; }
if [ ! -d "$CRD_DIR" ]; then
  echo "[velero-crds] Velero $VELERO_VERSION CRDs -> $CRD_DIR" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "module cbo.local/velero-crds" >"$work/go.mod"
  dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/vmware-tanzu/velero@$VELERO_VERSION" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$CRD_DIR.tmp"
  cp "$dir"/config/crd/v1/bases/*.yaml "$dir"/config/crd/v2alpha1/bases/*.yaml "$CRD_DIR.tmp/"
  chmod -R u+w "$CRD_DIR.tmp"
  rm -rf "$CRD_DIR" && mv "$CRD_DIR.tmp" "$CRD_DIR"
fi
# The harness reads this line.
echo "VELERO_CRDS=$CRD_DIR"
