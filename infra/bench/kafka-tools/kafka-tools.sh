#!/usr/bin/env bash
# Kafka's own load tools (kafka-tools, same version as the broker), the ceilings `pnpm bench e2e` measures the
# pipeline against. Jars come from Maven Central via ./pom.xml into .cache/lib (gitignored).
#
#   infra/bench/kafka-tools/kafka-tools.sh fetch
#   infra/bench/kafka-tools/kafka-tools.sh producer-perf|consumer-perf [tool arguments...]
#
# Env: JAVA_HOME (optional; Java 17+), KAFKA_TOOLS_HEAP (default -Xmx512m)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
LIB_DIR="$SCRIPT_DIR/.cache/lib"
MARKER="$LIB_DIR/.complete"
POM="$SCRIPT_DIR/pom.xml"

die() { printf 'kafka-tools.sh: error: %s\n' "$*" >&2; exit 1; }
java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; else command -v java || die "java not found (need Java 17+)"; fi
}
pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }
fetch_done() { [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_hash)" ]]; }

cmd_fetch() {
  fetch_done && return 0
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  local tmp="$SCRIPT_DIR/.cache/lib.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$SCRIPT_DIR/.cache"
  printf 'kafka-tools.sh: resolving kafka-tools jars from Maven Central into %s ...\n' "$LIB_DIR" >&2
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2; then
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed"
  fi
  pom_hash >"$tmp/.complete"
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
}

run_tool() {
  local class="$1"
  shift
  fetch_done || cmd_fetch
  # shellcheck disable=SC2086  # heap opts are intentionally word-split
  exec "$(java_bin)" ${KAFKA_TOOLS_HEAP:--Xmx512m} -Dlog4j2.level=warn -cp "$LIB_DIR/*" "$class" "$@"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  producer-perf) shift; run_tool org.apache.kafka.tools.ProducerPerformance "$@" ;;
  consumer-perf) shift; run_tool org.apache.kafka.tools.ConsumerPerformance "$@" ;;
  *) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
