#!/usr/bin/env bash
# Fetches IBM's Db2 CLI driver from the ibm_db wheel on PyPI (it bundles clidriver/ with
# libdb2.so and the headers, and ibm_db.libs/ with the libraries libdb2.so needs) into DIR and
# prints the environment for building and running connectd with Db2 support:
#
#   eval "$(connectors/db2/clidriver.sh /opt/ibm-clidriver)"
#   go build -tags db2 ./cmd/connectd
#   go test -tags db2 ./connectors/db2/
set -euo pipefail
dir=${1:?usage: clidriver.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ ! -f "$dir/clidriver/lib/libdb2.so" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	pip download --quiet --no-deps --only-binary=:all: -d "$tmp" ibm_db >&2
	unzip -q -o "$tmp"/ibm_db-*.whl 'clidriver/*' 'ibm_db.libs/*' -d "$dir"
fi
echo "export IBM_DB_HOME=$dir/clidriver"
echo "export CGO_CFLAGS=-I$dir/clidriver/include"
echo "export CGO_LDFLAGS='-L$dir/clidriver/lib -Wl,-rpath-link,$dir/ibm_db.libs'"
echo "export LD_LIBRARY_PATH=$dir/clidriver/lib:$dir/ibm_db.libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
