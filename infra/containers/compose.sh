#!/usr/bin/env bash
# The root docker-compose.yml run with podman and Debian's docker-compose (1.29), on a machine with no Docker engine
# and no image registry (this project's CI machines):
#   bash infra/containers/compose.sh up      # substitutes built when missing, docker-compose up -d, wait for healthy
#   bash infra/containers/compose.sh check   # an event POSTed to :8080 reaches ClickHouse; Prometheus scrapes every service
#   bash infra/containers/compose.sh down    # docker-compose stop (each service's exit code checked), then down -v
#   bash infra/containers/compose.sh test    # up, check, down: exit 1 at the first failure (CI runs this)
#
# What is real and what is not (README, Deployment):
# - real: the Compose file itself (its services, environment, depends_on conditions, health checks, networks with DNS
#   by service name, published ports, volumes, stop order) and the services' images from the Dockerfile
#   (infra/containers/build-images.sh, which must have run first).
# - SUBSTITUTES (infra/containers/compose.substitutes.yml, tagged localhost/telltale-substitute/…): Kafka from the
#   Maven jars of the same version, ClickHouse by the embedded chDB server (no users or grants, chDB's ClickHouse
#   version), Prometheus by Debian's 2.42. Grafana is left out: Debian has no package of it.
#
# TRICKY: podman 4.3 runs HEALTHCHECKs from systemd timers, and these machines have no systemd: nothing would ever
# mark a container healthy, and Compose's `condition: service_healthy` would wait forever. `up` therefore starts a
# health ticker, a loop that runs `podman healthcheck run` on the project's containers every 3 s, the timers' job.
# It and podman's Docker-compatible API service (`podman system service`) run in the background until `down`;
# their pids are in .local/containers/compose/.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD

export CONTAINERS_CONF=${CONTAINERS_CONF:-$REPO/infra/containers/containers.conf}
CACHE=$REPO/.local/containers
RUN_DIR=$CACHE/compose
SOCK=$RUN_DIR/podman.sock
PROJECT=telltale
FILES=(-f docker-compose.yml -f infra/containers/compose.substitutes.yml)
# Every service of docker-compose.yml but grafana (no substitute); topic-init is a one-shot that exits 0.
mapfile -t ALL_SERVICES < <(docker-compose -f docker-compose.yml config --services)
SERVICES=()
for s in "${ALL_SERVICES[@]}"; do [ "$s" = grafana ] || SERVICES+=("$s"); done
# docker-compose and podman-remote talk to the API service, never to a Docker engine.
export DOCKER_HOST=unix://$SOCK
export COMPOSE_PROJECT_NAME=$PROJECT

log() { printf '[compose %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[compose] error: %s\n' "$*" >&2; exit 1; }
mkdir -p "$RUN_DIR"

# --- substitutes -----------------------------------------------------------------------------------------------------
base_image() {
  [ -f "$CACHE/base-image" ] || die "no base image recorded: run bash infra/containers/build-images.sh first"
  cat "$CACHE/base-image"
}

build_substitute() { # name tag context
  local name=$1 tag=$2 context=$3 base
  if podman image exists "$tag"; then return; fi
  base=$(base_image)
  log "building SUBSTITUTE $tag on $base"
  podman build --format docker --isolation chroot --build-arg "BASE=$base" \
    -f "$REPO/infra/containers/substitutes/$name.Containerfile" -t "$tag" "$context" >"$CACHE/build-substitute-$name.log" 2>&1 \
    || { tail -n 30 "$CACHE/build-substitute-$name.log" >&2; die "building the $name substitute failed"; }
}

substitutes() {
  local ctx=$CACHE/substitutes
  rm -rf "$ctx" && mkdir -p "$ctx/kafka/libs" "$ctx/clickhouse" "$ctx/prometheus"

  # Kafka: the broker's jars (infra/kafka/pom.xml) and kafka-tools of the same version (the health check's command).
  if ! podman image exists localhost/telltale-substitute/kafka:4.1.2-maven; then
    bash infra/kafka/kafka.sh fetch >/dev/null 2>&1
    local version
    version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/kafka/pom.xml)
    [ "$version" = 4.1.2 ] || die "infra/kafka/pom.xml has Kafka $version; the substitute's tag says 4.1.2 (docker-compose.yml's apache/kafka)"
    cp infra/kafka/.cache/lib/*.jar "$ctx/kafka/libs/"
    mvn -q -B -Dstyle.color=never dependency:copy "-Dartifact=org.apache.kafka:kafka-tools:$version" "-DoutputDirectory=$ctx/kafka/libs" >/dev/null
    cp infra/containers/substitutes/kafka-entrypoint.sh infra/containers/substitutes/kafka-broker-api-versions.sh "$ctx/kafka/"
    build_substitute kafka localhost/telltale-substitute/kafka:4.1.2-maven "$ctx/kafka"
  fi

  # ClickHouse: infra/chdb-server deployed with its production dependencies (chDB and its native library), its
  # TypeScript bundled into dist/main.js (chDB left outside the bundle).
  if ! podman image exists localhost/telltale-substitute/clickhouse:chdb-server; then
    pnpm --filter @telltale/chdb-server --prod --config.node-linker=hoisted deploy --legacy "$ctx/clickhouse/chdb-server" >/dev/null
    rm -rf "$ctx/clickhouse/chdb-server/node_modules/node-linux-"* "$ctx/clickhouse/chdb-server/node_modules/.bin/node"
    pnpm --filter @telltale/deploy exec esbuild "$REPO/infra/chdb-server/src/main.ts" --bundle --platform=node \
      --target=node24 --external:chdb --log-level=warning --outfile="$ctx/clickhouse/chdb-server/dist/main.js"
    build_substitute clickhouse localhost/telltale-substitute/clickhouse:chdb-server "$ctx/clickhouse"
  fi

  build_substitute prometheus localhost/telltale-substitute/prometheus:debian-bookworm "$ctx/prometheus"
}

# --- the API service and the health ticker ---------------------------------------------------------------------------
start_background() {
  if [ -f "$RUN_DIR/service.pid" ] && kill -0 "$(cat "$RUN_DIR/service.pid")" 2>/dev/null; then return; fi
  rm -f "$SOCK"
  podman system service --time=0 "unix://$SOCK" >"$RUN_DIR/service.log" 2>&1 &
  echo $! >"$RUN_DIR/service.pid"
  for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.2; done
  [ -S "$SOCK" ] || die "podman system service did not open $SOCK (see $RUN_DIR/service.log)"
  (
    while true; do
      for c in $(podman ps --quiet --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
      done
      sleep 3
    done
  ) >/dev/null 2>&1 &
  echo $! >"$RUN_DIR/ticker.pid"
}

stop_background() {
  for f in ticker service; do
    if [ -f "$RUN_DIR/$f.pid" ]; then
      kill "$(cat "$RUN_DIR/$f.pid")" 2>/dev/null || true
      rm -f "$RUN_DIR/$f.pid"
    fi
  done
}

compose() { docker-compose "${FILES[@]}" "$@"; }

# --- commands --------------------------------------------------------------------------------------------------------
up() {
  for tool in podman docker-compose mvn curl; do command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"; done
  for s in collector enricher sink trainer scorer console query; do
    podman image exists "localhost/telltale/$s:latest" || die "no image localhost/telltale/$s: run bash infra/containers/build-images.sh"
  done
  substitutes
  start_background
  log "docker-compose up -d --no-build ${SERVICES[*]}"
  local started
  started=$(date +%s)
  compose up -d --no-build "${SERVICES[@]}"
  local deadline=$((started + 300)) pending
  while true; do
    pending=()
    for s in "${SERVICES[@]}"; do
      [ "$s" = topic-init ] && continue
      local status
      status=$(podman inspect --format '{{.State.Health.Status}}' "${PROJECT}_${s}_1" 2>/dev/null || echo missing)
      [ "$status" = healthy ] || pending+=("$s:$status")
    done
    [ ${#pending[@]} -eq 0 ] && break
    [ "$(date +%s)" -lt $deadline ] || { compose ps >&2; die "not healthy after 300 s: ${pending[*]}"; }
    sleep 2
  done
  local topic_init
  topic_init=$(podman inspect --format '{{.State.ExitCode}}' "${PROJECT}_topic-init_1")
  [ "$topic_init" = 0 ] || die "topic-init exited with $topic_init"
  log "every service healthy after $(($(date +%s) - started)) s (topic-init exited 0)"
  compose ps
}

check() {
  local id
  id="compose-check-$(date +%s)"
  log "POST an event to the collector on :8080 (message $id)"
  curl -fsS -XPOST localhost:8080/v1/batch -H 'content-type: application/json' \
    -d "{\"batch\":[{\"type\":\"page\",\"anonymousId\":\"$id\",\"messageId\":\"$id\"}]}"
  echo
  local n=0
  for _ in $(seq 1 60); do
    n=$(curl -fsS -u telltale_reader:telltale-reader localhost:8123/ \
      --data-urlencode "query=SELECT count() FROM telltale.events WHERE message_id = '$id'" -G 2>/dev/null || echo 0)
    [ "$n" = 1 ] && break
    sleep 2
  done
  [ "$n" = 1 ] || die "the event did not reach telltale.events within 120 s"
  log "the event is in telltale.events (collector -> kafka -> enricher -> sink -> clickhouse)"
  local down=""
  for _ in $(seq 1 30); do
    down=$(curl -fsS localhost:9090/api/v1/targets | pnpm exec node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const t = JSON.parse(s).data.activeTargets;
        const bad = t.filter((x) => x.health !== "up").map((x) => `${x.labels.job}:${x.health}`);
        process.stdout.write(t.length === 0 ? "no targets" : bad.join(" "));
      });')
    [ -z "$down" ] && break
    sleep 3
  done
  [ -z "$down" ] || die "Prometheus targets not up: $down"
  log "Prometheus scrapes every service's /metrics (all targets up)"
}

down() {
  if [ -S "$SOCK" ]; then
    log "docker-compose stop (SIGTERM, dependants first)"
    compose stop -t 15 || true
    local bad=()
    for s in "${SERVICES[@]}"; do
      [ "$s" = topic-init ] && continue
      local code
      code=$(podman inspect --format '{{.State.ExitCode}}' "${PROJECT}_${s}_1" 2>/dev/null || echo missing)
      echo "  $s exited $code"
      case "$s" in kafka | clickhouse | prometheus) ;; *) [ "$code" = 0 ] || bad+=("$s:$code") ;; esac
    done
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    stop_background
    [ ${#bad[@]} -eq 0 ] || die "services that did not exit 0 on SIGTERM: ${bad[*]}"
  else
    stop_background
  fi
}

case "${1:-}" in
  up) up ;;
  check) check ;;
  down) down ;;
  substitutes) substitutes ;;
  test)
    trap 'down' EXIT
    started=$(date +%s)
    up
    check
    trap - EXIT
    down
    log "compose test passed in $(($(date +%s) - started)) s"
    ;;
  *) die "usage: $0 up|check|down|test|substitutes" ;;
esac
