#!/usr/bin/env bash
# Builds Tally's container image (k8s/Dockerfile) with buildah, as localhost/tally:dev (or $TALLY_IMAGE). Needs
# no registry: the Debian 12 base image is made here with debootstrap (minbase) and imported as
# localhost/debian:bookworm (or $TALLY_BASE_IMAGE) when it is missing. chroot isolation, because this machine's
# podman/runc cannot set the rlimits a container start asks for; the build uses the host's network (apt, npm).
#   bash scripts/image.sh            base image if missing, then the Tally image: ~7 min from nothing on 2 busy
#                                    cores (debootstrap ~35 s, build packages ~2.5 min, compile ~4 min); a source
#                                    change recompiles (~4 min); nothing changed: seconds (cached layers)
#   TALLY_REBUILD_BASE=1 bash scripts/image.sh    also remake the base image
set -euo pipefail
cd "$(dirname "$0")/.."
image="${TALLY_IMAGE:-localhost/tally:dev}"
base="${TALLY_BASE_IMAGE:-localhost/debian:bookworm}"
mirror="${TALLY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

for tool in buildah podman debootstrap; do
  command -v "$tool" >/dev/null || { echo "image.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

make_base() {
  local root
  root="$(mktemp -d /var/tmp/tally-debootstrap.XXXXXX)"
  trap 'rm -rf "$root"' RETURN
  echo "image.sh: debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
  rm -f "$root.log"
  # The same apt sources as Docker Hub's debian:bookworm (updates and security too), and no downloaded lists.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: ${mirror}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$root" -c . | podman import --quiet - "$base" >/dev/null
  echo "image.sh: imported $base"
}

if [ -n "${TALLY_REBUILD_BASE:-}" ] || ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  make_base
fi
# npm ci in the build stage trusts what this host trusts (a TLS-intercepting proxy's CA, if any): a build secret,
# never stored in a layer.
ca_bundle="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
buildah bud --isolation chroot --layers --build-arg "BASE=$base" --build-arg "NINJA_JOBS=${NINJA_JOBS:-2}" \
  --secret "id=ca-certificates,src=$ca_bundle" -f k8s/Dockerfile -t "$image" .
echo "image.sh: built $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
