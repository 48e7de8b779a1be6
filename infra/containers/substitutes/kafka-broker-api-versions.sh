#!/bin/bash
# What the real image's script of this name runs (kafka-run-class.sh org.apache.kafka.tools.BrokerApiVersionsCommand):
# Compose's health check calls it by this path.
exec java -Xmx128m -cp '/opt/kafka/libs/*' org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
