#!/bin/bash
# The substitute Kafka's entrypoint: KAFKA_<NAME> variables become server.properties lines (<name> lower-cased, _ -> .),
# as apache/kafka's image maps them; the storage is formatted once (a fixed cluster id unless CLUSTER_ID is set),
# then the JVM is exec'd so that it receives the container's SIGTERM itself.
set -euo pipefail
props=/opt/kafka/config/server.properties
log4j=/opt/kafka/config/log4j2.properties
data=/var/lib/kafka/data
{
  echo "log.dirs=$data"
  while IFS='=' read -r name value; do
    case "$name" in
      KAFKA_HEAP_OPTS | KAFKA_JVM_OPTS | KAFKA_OPTS) ;;
      KAFKA_*) key=${name#KAFKA_}; key=${key,,}; echo "${key//_/.}=$value" ;;
    esac
  done < <(env)
} >"$props"
cat >"$log4j" <<'LOG'
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
logger.reqlog.name = kafka.request.logger
logger.reqlog.level = WARN
LOG
java=(java -Dlog4j2.configurationFile="$log4j" -cp '/opt/kafka/libs/*')
if [ ! -f "$data/meta.properties" ]; then
  "${java[@]}" -Xmx256m kafka.tools.StorageTool format -t "${CLUSTER_ID:-dGVsbHRhbGUtbG9jYWwtMQ}" -c "$props"
fi
# shellcheck disable=SC2086
exec "${java[@]}" ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} ${KAFKA_JVM_OPTS:-} kafka.Kafka "$props"
