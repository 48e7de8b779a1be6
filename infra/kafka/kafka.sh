#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft: broker + controller in one JVM) for
# dev and tests. Jars come from Maven Central via ./pom.xml; no Docker.
#
#   infra/kafka/kafka.sh fetch|start|run|stop|restart|status|logs|reset
#
#   start  in the background (setsid nohup), waits until it answers; for jest's global setup
#   run    in the foreground: writes config, formats if needed and execs the JVM, so the caller's child IS the
#          broker (the local-stack launcher supervises it that way); logs go to stdout/stderr and server.log
#
# Env:
#   KAFKA_PORT             client (PLAINTEXT) port          default 9092
#   KAFKA_CONTROLLER_PORT  KRaft controller port            default 9093
#   KAFKA_DATA_DIR         config, data, logs, pid file     default <repo>/.local/kafka
#   KAFKA_HEAP_OPTS        JVM heap                          default -Xms256m -Xmx1g
#   KAFKA_START_TIMEOUT    seconds to wait for readiness     default 90
#   KAFKA_STOP_TIMEOUT     seconds before SIGKILL on stop    default 30
#   KAFKA_CLUSTER_ID       KRaft cluster id used at format   default fixed dev id
#   KAFKA_BROKERS          if set, an external cluster is used: start/stop do nothing
#   KAFKA_JVM_OPTS         extra JVM flags for the broker    default none
#   KAFKA_NETWORK_THREADS  num.network.threads               default 2
#   KAFKA_IO_THREADS       num.io.threads                    default 4
#   JAVA_HOME              optional; java 17+ is required
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$REPO_ROOT/.local/kafka}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
# base64url("telltale-local-1"): a valid 16-byte KRaft cluster id, stable across formats
KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-dGVsbHRhbGUtbG9jYWwtMQ}"
HOST=127.0.0.1

CACHE_DIR="$SCRIPT_DIR/.cache"
LIB_DIR="$CACHE_DIR/lib"
MARKER="$LIB_DIR/.complete"
POM="$SCRIPT_DIR/pom.xml"

# make the data dir absolute so the broker config never depends on cwd
case "$KAFKA_DATA_DIR" in /*) ;; *) KAFKA_DATA_DIR="$PWD/$KAFKA_DATA_DIR" ;; esac
PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
LOG_DIR="$KAFKA_DATA_DIR/logs"
KRAFT_DIR="$KAFKA_DATA_DIR/kraft-logs"
SERVER_PROPS="$KAFKA_DATA_DIR/server.properties"
LOG4J_CONF="$KAFKA_DATA_DIR/log4j2.properties"

say() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java || die "java not found (need Java 17+; set JAVA_HOME or install openjdk-17-jre-headless)"
  fi
}

check_java() {
  local j ver major
  j="$(java_bin)"
  ver="$("$j" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${ver%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$major" -ge 17 ]] || die "Kafka 4.x needs Java 17+, found '$ver' ($j)"
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

fetch_done() { [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_hash)" ]]; }

cmd_fetch() {
  if fetch_done; then
    say "jars already in $LIB_DIR (pom unchanged)"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "$CACHE_DIR"
  local tmp="$CACHE_DIR/lib.tmp.$$" t0=$SECONDS
  rm -rf "$tmp"
  say "resolving Kafka jars from Maven Central into $LIB_DIR ..."
  # (sed strips the stray ANSI resets that maven -q still prints)
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; then
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed"
  fi
  pom_hash >"$tmp/.complete"
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
  say "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - t0))s"
}

# Real protocol check: send an ApiVersions v0 request over bash /dev/tcp and
# expect a response with our correlation id and error_code 0.
kafka_answers() {
  local port="$1" reply
  # shellcheck disable=SC2016  # $0/$1 are expanded by the inner bash
  reply="$(
    timeout 3 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      # size=14 | api_key=18 (ApiVersions) | api_version=0 | correlation_id=0x54454c4c | client_id="ktsh"
      printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x54\x45\x4c\x4c\x00\x04ktsh" >&3
      head -c 10 <&3 | od -An -tx1 | tr -d " \n"
    ' "$HOST" "$port" 2>/dev/null
  )" || return 1
  # 4 bytes size, then correlation id 54454c4c, then error_code 0000
  [[ "${reply:8:12}" == "54454c4c0000" ]]
}

# shellcheck disable=SC2016
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null; }

read_pid() { if [[ -f "$PID_FILE" ]]; then tr -dc '0-9' <"$PID_FILE"; fi; }

# is $1 a live process that is our broker (not a recycled pid)?
is_our_broker() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $SERVER_PROPS"
}

external_cluster() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "KAFKA_BROKERS=$KAFKA_BROKERS is set: using that external cluster, nothing to $1"
    return 0
  fi
  return 1
}

write_config() {
  mkdir -p "$KAFKA_DATA_DIR" "$LOG_DIR" "$KRAFT_DIR"
  cat >"$SERVER_PROPS" <<EOF
# generated by infra/kafka/kafka.sh on every start; edit the script, not this file
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$KRAFT_DIR

# single node: every internal topic with RF 1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# dev/test behaviour
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=3
num.network.threads=${KAFKA_NETWORK_THREADS:-2}
num.io.threads=${KAFKA_IO_THREADS:-4}
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
EOF
  cat >"$LOG4J_CONF" <<EOF
# generated by infra/kafka/kafka.sh
status = warn
name = kafka-local
appender.server.type = RollingFile
appender.server.name = server
appender.server.fileName = $LOG_DIR/server.log
appender.server.filePattern = $LOG_DIR/server.log.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 50MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
logger.reqlog.name = kafka.request.logger
logger.reqlog.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
EOF
}

format_if_needed() {
  [[ -f "$KRAFT_DIR/meta.properties" ]] && return 0
  say "formatting KRaft storage in $KRAFT_DIR (cluster id $KAFKA_CLUSTER_ID)"
  "$(java_bin)" -Xmx256m -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$LIB_DIR/*" \
    kafka.tools.StorageTool format -t "$KAFKA_CLUSTER_ID" -c "$SERVER_PROPS" \
    >"$LOG_DIR/format.out" 2>&1 \
    || { tail -n 30 "$LOG_DIR/format.out" >&2; die "kafka-storage format failed"; }
}

tail_logs() {
  local f
  for f in "$LOG_DIR/kafkaServer.out" "$LOG_DIR/server.log"; do
    [[ -s "$f" ]] || continue
    echo "---- last lines of $f ----" >&2
    tail -n 40 "$f" >&2
  done
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      tail_logs
      rm -f "$PID_FILE"
      die "broker process $pid exited during startup"
    fi
    if kafka_answers "$KAFKA_PORT"; then
      return 0
    fi
    sleep 0.5
  done
  tail_logs
  die "broker did not answer on $HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s (pid $pid still running; '$0 stop' to kill it)"
}

cmd_start() {
  external_cluster start && return 0
  local t0=$SECONDS pid
  mkdir -p "$KAFKA_DATA_DIR"
  # serialise concurrent starts/stops against the same data dir
  exec 9>"$KAFKA_DATA_DIR/.lock"
  flock -w 120 9 || die "could not lock $KAFKA_DATA_DIR/.lock"

  pid="$(read_pid)"
  if is_our_broker "$pid"; then
    if kafka_answers "$KAFKA_PORT"; then
      say "already running (pid $pid); reusing it"
      echo "kafka ready on $HOST:$KAFKA_PORT"
      return 0
    fi
    say "broker pid $pid is running but not answering yet; waiting"
    wait_ready "$pid"
    echo "kafka ready on $HOST:$KAFKA_PORT"
    return 0
  fi
  [[ -z "$pid" ]] || rm -f "$PID_FILE"   # stale pid file

  if port_open "$KAFKA_PORT"; then
    if kafka_answers "$KAFKA_PORT"; then
      say "something already answers the Kafka protocol on $HOST:$KAFKA_PORT (not started by this script); reusing it"
      echo "kafka ready on $HOST:$KAFKA_PORT"
      return 0
    fi
    die "port $KAFKA_PORT is in use by something that is not a Kafka broker; set KAFKA_PORT"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_CONTROLLER_PORT is in use; set KAFKA_CONTROLLER_PORT"
  fi

  check_java
  fetch_done || cmd_fetch
  write_config
  format_if_needed

  say "starting broker (data: $KAFKA_DATA_DIR, heap: $KAFKA_HEAP_OPTS)"
  # shellcheck disable=SC2086  # heap/jvm opts are intentionally word-split
  setsid nohup "$(java_bin)" \
    $KAFKA_HEAP_OPTS ${KAFKA_JVM_OPTS:-} \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIB_DIR/*" kafka.Kafka "$SERVER_PROPS" \
    >"$LOG_DIR/kafkaServer.out" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_ready "$pid"
  say "started pid $pid in $((SECONDS - t0))s"
  echo "kafka ready on $HOST:$KAFKA_PORT"
}

cmd_run() {
  local pid
  mkdir -p "$KAFKA_DATA_DIR"
  # Held while config is written and storage formatted, so a concurrent start/stop on this data dir waits;
  # released at exec (9>&- below): the broker itself locks its log dirs against a second broker.
  exec 9>"$KAFKA_DATA_DIR/.lock"
  flock -w 120 9 || die "could not lock $KAFKA_DATA_DIR/.lock"
  pid="$(read_pid)"
  if is_our_broker "$pid"; then
    die "a broker (pid $pid) already runs on $KAFKA_DATA_DIR; '$0 stop' stops it"
  fi
  if port_open "$KAFKA_PORT"; then die "port $KAFKA_PORT is in use; set KAFKA_PORT"; fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then die "controller port $KAFKA_CONTROLLER_PORT is in use; set KAFKA_CONTROLLER_PORT"; fi

  check_java
  fetch_done || cmd_fetch
  write_config
  format_if_needed
  # exec keeps this pid: the pid file names the broker, for status/stop
  echo "$$" >"$PID_FILE"
  say "running broker in the foreground as pid $$ (data: $KAFKA_DATA_DIR, heap: $KAFKA_HEAP_OPTS)"
  # shellcheck disable=SC2086  # heap/jvm opts are intentionally word-split
  exec "$(java_bin)" \
    $KAFKA_HEAP_OPTS ${KAFKA_JVM_OPTS:-} \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$LIB_DIR/*" kafka.Kafka "$SERVER_PROPS" 9>&-
}

cmd_stop() {
  external_cluster stop && return 0
  [[ -d "$KAFKA_DATA_DIR" ]] || { say "not running (no $KAFKA_DATA_DIR)"; return 0; }
  exec 9>"$KAFKA_DATA_DIR/.lock"
  flock -w 120 9 || die "could not lock $KAFKA_DATA_DIR/.lock"
  local pid deadline
  pid="$(read_pid)"
  if [[ -z "$pid" ]]; then
    say "not running (no pid file)"
    if port_open "$KAFKA_PORT"; then say "note: something not started by this script listens on $HOST:$KAFKA_PORT"; fi
    return 0
  fi
  if ! is_our_broker "$pid"; then
    say "not running (stale pid file for $pid removed)"
    rm -f "$PID_FILE"
    return 0
  fi
  say "stopping broker pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    say "external cluster KAFKA_BROKERS=$KAFKA_BROKERS"
  fi
  local pid
  pid="$(read_pid)"
  if is_our_broker "$pid"; then
    if kafka_answers "$KAFKA_PORT"; then
      echo "running: pid $pid, ready on $HOST:$KAFKA_PORT (data: $KAFKA_DATA_DIR)"
    else
      echo "starting: pid $pid, not answering on $HOST:$KAFKA_PORT yet"
    fi
    return 0
  fi
  if kafka_answers "$KAFKA_PORT"; then
    echo "not managed: a Kafka broker not started by this script answers on $HOST:$KAFKA_PORT"
    return 0
  fi
  echo "stopped"
  return 3
}

cmd_logs() {
  [[ -f "$LOG_DIR/server.log" ]] || die "no log yet at $LOG_DIR/server.log"
  tail -n "${1:-100}" "$LOG_DIR/server.log"
}

cmd_reset() {
  cmd_stop
  say "wiping broker state in $KAFKA_DATA_DIR"
  rm -rf "$KRAFT_DIR" "$LOG_DIR" "$SERVER_PROPS" "$LOG4J_CONF"
}

usage() {
  sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  run) cmd_run ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  reset) cmd_reset ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
