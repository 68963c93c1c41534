#!/usr/bin/env bash
# local-bases.sh makes the two base images `make images` builds on, without
# any registry: root filesystems put together from Debian packages and the
# machine's Go toolchain, loaded with `docker import`.
#
#   runtime base  radar-local/busybox:<id>       busybox-static (/bin/sh and
#                 the usual applets) + Debian's Mozilla CA bundle at
#                 /etc/ssl/certs/ca-certificates.crt, root and nobody in
#                 /etc/passwd, /tmp
#   build base    radar-local/go:<go version>-<id>   the same busybox + this
#                 machine's GOROOT (without its test/ folder) + this
#                 machine's CA bundle (SSL_CERT_FILE), so that `go mod
#                 download` reaches the Go module proxy through the same TLS
#                 setup as the host
#
# <id> is the first 12 hex digits of a SHA-256 over everything that goes
# into the image (package files, CA bundle, Go version, this script), so a
# tag names one content. When the tag exists the image is not made again.
#
# Output (stdout), for `eval` in the Makefile:
#   BUILD_IMAGE=radar-local/go:1.26.8-0123456789ab
#   RUNTIME_IMAGE=radar-local/busybox:0123456789ab
# Progress goes to stderr. Needs: docker, apt-get, dpkg-deb, sha256sum, tar, go.
set -euo pipefail

PREFIX="${LOCAL_BASE_PREFIX:-radar-local}"
GO="${GO:-go}"
GOROOT_DIR="$("$GO" env GOROOT)"
GO_VERSION="$("$GO" env GOVERSION)"   # go1.26.8
GO_VERSION="${GO_VERSION#go}"
HOST_CA="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
CACHE="${RADAR_LOCAL_BASES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/radar-local-bases}"
PACKAGES=(busybox-static ca-certificates)

log() { echo "local-bases: $*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# fetch_debs downloads the packages' candidate versions into $CACHE/debs
# (kept between runs) and prints their paths.
fetch_debs() {
  mkdir -p "$CACHE/debs"
  local p f
  for p in "${PACKAGES[@]}"; do
    f="$(ls "$CACHE/debs/${p}"_*.deb 2>/dev/null | head -n1 || true)"
    if [ -z "$f" ]; then
      if ! apt-cache show "$p" >/dev/null 2>&1; then
        log "apt-get update (the package lists do not know $p)"
        apt-get update -qq >&2
      fi
      log "apt-get download $p"
      (cd "$CACHE/debs" && apt-get download -q "$p" >&2)
      f="$(ls "$CACHE/debs/${p}"_*.deb | head -n1)"
    fi
    echo "$f"
  done
}

# import_rootfs DIR TAG CHANGE... loads DIR as a one-layer image, with
# owners, order and times fixed so that the same content gives the same tar.
import_rootfs() {
  local dir="$1" tag="$2"; shift 2
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . \
    | docker import "${changes[@]}" --message "made by .docker/local-bases.sh" - "$tag" >/dev/null
  log "imported $tag ($(docker image inspect -f '{{.Size}}' "$tag") bytes)"
}

# busybox_rootfs DIR BUSYBOX_DEB lays out busybox with one symlink per applet
# (the list comes from the static binary itself) and the minimal /etc.
busybox_rootfs() {
  local root="$1" deb="$2" x="$1.busybox" a
  mkdir -p "$x" "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root}
  dpkg-deb -x "$deb" "$x"
  install -m 0755 "$x/bin/busybox" "$root/bin/busybox"
  for a in $("$root/bin/busybox" --list-full); do
    [ "$a" = bin/busybox ] || [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
  done
  rm -rf "$x"
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

main() {
  command -v docker >/dev/null || { log "docker is not installed"; exit 1; }
  docker info >/dev/null 2>&1 || { log "no Docker daemon answers"; exit 1; }
  [ -s "$HOST_CA" ] || { log "no CA bundle at $HOST_CA (set HOST_CA_BUNDLE)"; exit 1; }

  local debs busybox_deb ca_deb
  mapfile -t debs < <(fetch_debs)
  busybox_deb="${debs[0]}"; ca_deb="${debs[1]}"
  local self_sum deb_sum host_ca_sum
  self_sum="$(sha256sum "$0" | cut -c1-64)"
  deb_sum="$(cat "$busybox_deb" "$ca_deb" | sha256sum | cut -c1-64)"
  host_ca_sum="$(sha256sum "$HOST_CA" | cut -c1-64)"

  local runtime_id build_id runtime_tag build_tag
  runtime_id="$(printf 'runtime %s %s\n' "$self_sum" "$deb_sum" | sha256sum | cut -c1-12)"
  build_id="$(printf 'build %s %s %s %s\n' "$self_sum" "$deb_sum" "$host_ca_sum" "$("$GO" version)" | sha256sum | cut -c1-12)"
  runtime_tag="$PREFIX/busybox:$runtime_id"
  build_tag="$PREFIX/go:$GO_VERSION-$build_id"

  WORK_DIR=""
  WORK_DIR="$(mktemp -d)"; local work="$WORK_DIR"
  trap 'rm -rf "$WORK_DIR"' EXIT

  if have_image "$runtime_tag"; then
    log "$runtime_tag exists"
  else
    local root="$work/runtime" x="$work/ca"
    busybox_rootfs "$root" "$busybox_deb"
    # What update-ca-certificates does with Debian's default
    # /etc/ca-certificates.conf (every Mozilla certificate): concatenate them.
    mkdir -p "$x" "$root/etc/ssl/certs"
    dpkg-deb -x "$ca_deb" "$x"
    find "$x/usr/share/ca-certificates/mozilla" -name '*.crt' | LC_ALL=C sort | xargs cat >"$root/etc/ssl/certs/ca-certificates.crt"
    log "runtime CA bundle: $(grep -c 'BEGIN CERTIFICATE' "$root/etc/ssl/certs/ca-certificates.crt") certificates"
    import_rootfs "$root" "$runtime_tag" \
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
      'CMD ["/bin/sh"]'
  fi

  if have_image "$build_tag"; then
    log "$build_tag exists"
  else
    local root="$work/build"
    busybox_rootfs "$root" "$busybox_deb"
    mkdir -p "$root/usr/local" "$root/etc/ssl/certs" "$root/go"
    chmod 0777 "$root/go"
    log "copying $GOROOT_DIR (go $GO_VERSION)"
    tar -C "$(dirname "$GOROOT_DIR")" --anchored --exclude="$(basename "$GOROOT_DIR")/test" -cf - "$(basename "$GOROOT_DIR")" | tar -C "$root/usr/local" -xf -
    [ "$(basename "$GOROOT_DIR")" = go ] || mv "$root/usr/local/$(basename "$GOROOT_DIR")" "$root/usr/local/go"
    cp "$HOST_CA" "$root/etc/ssl/certs/ca-certificates.crt"
    import_rootfs "$root" "$build_tag" \
      'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      'ENV GOPATH=/go' \
      'ENV GOTOOLCHAIN=local' \
      'ENV GOFLAGS=-buildvcs=false' \
      'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
      'WORKDIR /go' \
      'CMD ["/bin/sh"]'
  fi

  echo "BUILD_IMAGE=$build_tag"
  echo "RUNTIME_IMAGE=$runtime_tag"
}

main "$@"
