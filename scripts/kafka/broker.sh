#!/usr/bin/env bash
# Single-node Kafka (KRaft, combined broker+controller) for development and tests, without Docker.
#
#   scripts/kafka/broker.sh fetch    download kafka_2.13 + runtime deps from Maven Central (cached): the
#                                    pinned, checksummed list kafka-$KAFKA_VERSION.jars with Node, or Maven
#                                    for a version without one
#   scripts/kafka/broker.sh start    fetch if needed, format storage (first time), start, wait until ready
#   scripts/kafka/broker.sh stop     TERM, then KILL after KAFKA_STOP_TIMEOUT seconds
#   scripts/kafka/broker.sh status   exit 0 when running, 1 when not
#   scripts/kafka/broker.sh kill9    kill -9 the broker (fault tests); `start` brings it back on the same data
#   scripts/kafka/broker.sh logs     tail the broker log
#
# Environment (defaults):
#   KAFKA_VERSION=3.9.2  KAFKA_CACHE=$HOME/.cache/voice-push/kafka-$KAFKA_VERSION (jars go to $KAFKA_CACHE/libs)
#   KAFKA_STATE_DIR=/tmp/voice-push-kafka (data, config, log, pid)
#   KAFKA_PORT=9092  KAFKA_CONTROLLER_PORT=9093  KAFKA_HOST=127.0.0.1
#   KAFKA_HEAP_OPTS=-Xmx512m -Xms256m  KAFKA_START_TIMEOUT=60  KAFKA_STOP_TIMEOUT=20
#   KAFKA_AUTO_CREATE_TOPICS=false  KAFKA_BROKER_SESSION_TIMEOUT_MS=4000
#   KAFKA_ADVERTISED_PORT=$KAFKA_PORT  the port put in advertised.listeners (the broker still listens
#     on KAFKA_PORT): set it to a proxy's port (fault tests) so clients that bootstrap at the proxy
#     are sent back to the proxy by the metadata, not around it to KAFKA_PORT
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
KAFKA_CACHE="${KAFKA_CACHE:-$HOME/.cache/voice-push/kafka-$KAFKA_VERSION}"
LIBS_DIR="$KAFKA_CACHE/libs"
STATE_DIR="${KAFKA_STATE_DIR:-/tmp/voice-push-kafka}"
HOST="${KAFKA_HOST:-127.0.0.1}"
PORT="${KAFKA_PORT:-9092}"
ADVERTISED_PORT="${KAFKA_ADVERTISED_PORT:-$PORT}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
AUTO_CREATE="${KAFKA_AUTO_CREATE_TOPICS:-false}"
SESSION_TIMEOUT="${KAFKA_BROKER_SESSION_TIMEOUT_MS:-4000}"

PID_FILE="$STATE_DIR/kafka.pid"
LOG_FILE="$STATE_DIR/logs/server.log"
OUT_FILE="$STATE_DIR/logs/stdout.log"
DATA_DIR="$STATE_DIR/data"
CONF_DIR="$STATE_DIR/config"

log() { echo "[kafka] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

fetch() {
  if [[ -f "$LIBS_DIR/.complete" ]]; then
    log "jars already in $LIBS_DIR"
    return 0
  fi
  # the pinned jars of this version, with Node alone (no Maven needed)
  local pinned
  pinned="$(dirname "${BASH_SOURCE[0]}")/kafka-$KAFKA_VERSION.jars"
  if [[ -f "$pinned" ]]; then
    command -v node >/dev/null || die "node not found"
    log "fetching the jars of $pinned from Maven Central into $LIBS_DIR"
    if node "$(dirname "${BASH_SOURCE[0]}")/fetch-jars.mjs" "$pinned" "$LIBS_DIR"; then
      touch "$LIBS_DIR/.complete"
      return 0
    fi
    # Node's fetch ignores HTTPS_PROXY and ~/.m2/settings.xml mirrors; Maven, where present, does not
    command -v mvn >/dev/null || die "fetching the jars failed (behind a proxy? set MAVEN_CENTRAL to a mirror, or install Maven)"
    log "falling back to Maven"
  fi
  # another version: Maven resolves its jars
  command -v mvn >/dev/null || die "mvn not found: Kafka $KAFKA_VERSION has no pinned jar list (scripts/kafka/kafka-<version>.jars), so Maven 3.8+ must resolve it"
  local t0 work
  t0=$(date +%s)
  work=$(mktemp -d)
  mkdir -p "$LIBS_DIR"
  # kafka_2.13 pulls the broker's runtime; reload4j + slf4j-reload4j are declared as provided/optional
  # in 3.9, so they are listed explicitly to give the broker a logging backend.
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.voice-push</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
</project>
POM
  log "fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and runtime dependencies into $LIBS_DIR"
  # shellcheck disable=SC2086
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never ${KAFKA_MVN_OPTS:-} dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS_DIR" -Dmdep.overWriteReleases=false) >"$work/mvn.log" 2>&1; then
    cat "$work/mvn.log" >&2
    rm -rf "$work"
    die "maven fetch failed"
  fi
  rm -rf "$work"
  touch "$LIBS_DIR/.complete"
  log "fetched $(ls "$LIBS_DIR"/*.jar | wc -l) jars in $(( $(date +%s) - t0 ))s"
}

pid_alive() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

write_config() {
  mkdir -p "$CONF_DIR" "$DATA_DIR" "$STATE_DIR/logs"
  cat >"$CONF_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$ADVERTISED_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=$AUTO_CREATE
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
# After a kill -9 the restarted broker cannot register until the old registration's session
# expires (DUPLICATE_BROKER_REGISTRATION): a short session makes that restart ~4 s, not ~12 s.
broker.session.timeout.ms=$SESSION_TIMEOUT
broker.heartbeat.interval.ms=500
PROPS
  cat >"$CONF_DIR/log4j.properties" <<PROPS
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$LOG_FILE
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
PROPS
}

# milliseconds since the epoch: bash 5's $EPOCHREALTIME (its decimal mark may be a comma), else
# whole seconds (bash 3.2, macOS' own)
now_ms() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local t=${EPOCHREALTIME//[.,]/}
    echo $(( t / 1000 ))
  else
    echo $(( $(date +%s) * 1000 ))
  fi
}

# seconds since a now_ms value, one decimal
elapsed_since() {
  local ms=$(( $(now_ms) - $1 ))
  printf '%d.%d' $(( ms / 1000 )) $(( (ms % 1000) / 100 ))
}

java_cp() { echo "$LIBS_DIR/*"; }

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  local cluster_id err="$STATE_DIR/random-uuid.err"
  # In an `if`: under `set -e -o pipefail` a java that cannot run ended the script right here,
  # without a word. Its own words are what says why (no JDK, too old a Java, a damaged jar).
  if ! cluster_id=$(java -cp "$(java_cp)" kafka.tools.StorageTool random-uuid 2>"$err" | tail -n1) || [[ -z "$cluster_id" ]]; then
    tail -n 20 "$err" >&2
    die "could not generate a cluster id: 'java -cp $LIBS_DIR/* kafka.tools.StorageTool random-uuid' failed (it needs Java 17 or later)"
  fi
  log "formatting $DATA_DIR (cluster $cluster_id)"
  java -Dlog4j.configuration="file:$CONF_DIR/log4j.properties" -cp "$(java_cp)" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF_DIR/server.properties" >>"$OUT_FILE" 2>&1 \
    || { tail -n 30 "$OUT_FILE" >&2; die "storage format failed"; }
}

tail_log() {
  log "---- $OUT_FILE (tail) ----"; tail -n 20 "$OUT_FILE" 2>/dev/null >&2 || true
  log "---- $LOG_FILE (tail) ----"; tail -n 40 "$LOG_FILE" 2>/dev/null >&2 || true
}

# Ready = the process is alive, the port accepts connections, and the broker logged that it started
# (in KRaft that line comes after the broker registered with the controller and can serve metadata).
wait_ready() {
  local pid=$1 deadline=$(( $(date +%s) + START_TIMEOUT )) marker_from=$2
  while (( $(date +%s) < deadline )); do
    kill -0 "$pid" 2>/dev/null || { tail_log; die "broker exited during start"; }
    if port_open "$PORT" && tail -c +"$marker_from" "$LOG_FILE" 2>/dev/null | grep -q "Kafka Server started"; then
      return 0
    fi
    sleep 0.2
  done
  tail_log
  log "ERROR: broker not ready after ${START_TIMEOUT}s (KAFKA_START_TIMEOUT): stopping it"
  return 1
}

start() {
  if pid_alive; then
    log "already running (pid $(cat "$PID_FILE")) on $HOST:$PORT"
    return 0
  fi
  if port_open "$PORT"; then
    die "port $HOST:$PORT is taken by another process (not ours: no live pid in $PID_FILE)"
  fi
  fetch
  command -v java >/dev/null || die "java not found (needs Java 17)"
  local t0 marker pid
  t0=$(now_ms)
  write_config
  format_storage
  touch "$LOG_FILE"
  marker=$(( $(wc -c <"$LOG_FILE") + 1 ))
  # shellcheck disable=SC2086
  nohup java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONF_DIR/log4j.properties" -Dkafka.logs.dir="$STATE_DIR/logs" \
    -cp "$(java_cp)" kafka.Kafka "$CONF_DIR/server.properties" >>"$OUT_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  if ! wait_ready "$pid" "$marker"; then
    # not left to come up later unseen: a caller that gave up on it would find it "already running"
    stop
    exit 1
  fi
  log "started pid $pid on $HOST:$PORT in $(elapsed_since "$t0")s (state $STATE_DIR)"
}

stop() {
  if ! pid_alive; then
    log "not running"
    rm -f "$PID_FILE"
    return 0
  fi
  local pid deadline
  pid=$(cat "$PID_FILE")
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + STOP_TIMEOUT ))
  while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${STOP_TIMEOUT}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "stopped pid $pid"
}

kill9() {
  if ! pid_alive; then
    log "not running"
    return 0
  fi
  local pid
  pid=$(cat "$PID_FILE")
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$PID_FILE"
  log "killed -9 pid $pid"
}

status() {
  if pid_alive; then
    echo "running (pid $(cat "$PID_FILE")) on $HOST:$PORT, state $STATE_DIR"
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill9) kill9 ;;
  restart) stop; start ;;
  logs) tail -n "${2:-100}" "$LOG_FILE" ;;
  reset) stop; rm -rf "$STATE_DIR"; log "removed $STATE_DIR" ;;
  *) echo "usage: $0 {fetch|start|stop|status|kill9|restart|logs [n]|reset}" >&2; exit 2 ;;
esac
