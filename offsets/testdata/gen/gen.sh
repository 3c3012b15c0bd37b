#!/usr/bin/env bash
# offsets/testdata/gen/gen.sh: regenerates offsets/testdata/golden.tsv with Kafka Connect's own
# JsonConverter and Utils.murmur2. Needs a JDK and the Kafka jars (deploy/testbed/up puts them in
# $CONNECTD_TEST_KAFKA_LIBS, default $HOME/.cache/connectd-testbed/kafka-libs).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBS="${CONNECTD_TEST_KAFKA_LIBS:-$HOME/.cache/connectd-testbed/kafka-libs}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
javac -d "$OUT" -cp "$LIBS/*" "$HERE/GenGoldens.java"
java -cp "$OUT:$LIBS/*" GenGoldens >"$HERE/../golden.tsv"
echo "wrote $HERE/../golden.tsv" >&2
