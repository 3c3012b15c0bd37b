#!/usr/bin/env bash
# Regenerates connect/transforms/testdata/golden/ with Kafka's connect-transforms and Debezium's
# SMTs (the judges of the Go transforms' output): every case of testdata/cases.json applied to
# every record of testdata/inputs.jsonl (records taken from tests/compat/reference, Debezium's own
# output), written with JsonConverter and SimpleHeaderConverter. Commit the files it writes.
#
#   connect/transforms/testdata/gen/gen.sh
#
# Jars: $CONNECTD_TEST_KAFKA_LIBS (default: the test bed's Kafka libs,
# $TESTBED_HOME/kafka-libs) and $DEBEZIUM_SMT_LIBS (default: the Debezium reference worker's
# PostgreSQL plugin directory, whose debezium-connect-plugins jar holds Debezium's SMTs); run
# deploy/testbed/up and deploy/testbed/debezium-up once to download them from Maven Central.
# Kafka's jars come first on the class path, so the worker's Kafka version decides Kafka's classes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/.." && pwd)
home=${TESTBED_HOME:-$HOME/.cache/connectd-testbed}
kafka=${CONNECTD_TEST_KAFKA_LIBS:-$home/kafka-libs}
dbz=${DEBEZIUM_SMT_LIBS:-$home/debezium/plugins/debezium-connector-postgres}
for d in "$kafka" "$dbz"; do
  if ! ls "$d"/*.jar >/dev/null 2>&1; then
    echo "gen.sh: no jars in $d; run deploy/testbed/up and deploy/testbed/debezium-up first" >&2
    exit 1
  fi
done
dbzjars=$(ls "$dbz"/debezium-*.jar | tr '\n' ':')
cp="$kafka/*:$dbzjars"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac -d "$build" -cp "$cp" "$here/Gen.java"
mkdir -p "$data/golden"
rm -f "$data/golden"/*.txt
java -cp "$build:$cp" Gen "$data"
echo "gen.sh: wrote $(ls "$data/golden" | wc -l) files to $data/golden"
