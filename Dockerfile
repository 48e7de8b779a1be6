# syntax=docker/dockerfile:1
# One Dockerfile for every service (any folder under services/), from the repository root:
#   docker build --build-arg SERVICE=sink --build-arg HEALTH_PORT=9102 -t telltale/sink .
# The image runs the compiled bundle (`node dist/main.js`) with production dependencies only: the same
# `pnpm build` and `pnpm deploy:services` that CI runs outside Docker (infra/deploy).
# Node 24 LTS: the major of the project's own Node (package.json optionalDependencies node-linux-*), which the build
# stage's pnpm scripts run on too.
ARG NODE_IMAGE=node:24-bookworm-slim

# NOTE: SERVICE and HEALTH_PORT are declared only where they are first used: a build argument in scope is part of the
# cache key of every later RUN, so everything above them (pnpm, the store, the workspace install, tini) is built once
# and shared by every service's image (infra/containers/build-images.sh builds all of them in a row).
FROM ${NODE_IMAGE} AS build
# corepack's download of pnpm fails its signature check on some machines (see .ci/run): the pinned version from npm.
RUN npm install -g pnpm@10.34.9
WORKDIR /repo
# The store is filled from the lockfile alone, so this layer stays cached until a dependency changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
# NOTE: --ignore-scripts: the only install scripts are chDB's native download and the binary checks of swc and
# esbuild (which find their platform package without it); building a service needs none of them.
RUN pnpm install --frozen-lockfile --offline --ignore-scripts
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<folder under services/>' >&2; exit 1; }
RUN pnpm build "${SERVICE}" && pnpm deploy:services --out /deploy "${SERVICE}"

FROM ${NODE_IMAGE}
# tini as PID 1: forwards SIGTERM to node (whose ordered stop flushes and commits) and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ARG SERVICE
# The port the service's /healthz answers on (its default ADMIN_PORT, or PORT for the collector). Set HEALTH_PORT
# at run time too when you move it.
ARG HEALTH_PORT
RUN test -n "${HEALTH_PORT}" || { echo 'build with --build-arg HEALTH_PORT=<port of /healthz>' >&2; exit 1; }
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HEALTH_PORT=${HEALTH_PORT}
WORKDIR /app
# Owned by root and only readable by the user the service runs as: the code cannot be changed from inside.
COPY --from=build /deploy/${SERVICE} ./
USER node
EXPOSE ${HEALTH_PORT}
# No curl in slim images: node's fetch. Unhealthy when /healthz answers non-2xx (a consumer gone, ClickHouse down).
# NOTE: no whitespace inside an argument: podman's Docker-compatible API (4.3, Debian's) splits health check arguments
# on whitespace (containers/podman#26519), which turned this script into a syntax error under Compose.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT}/healthz`).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
