#!/usr/bin/env bash
# Fetches IBM's Db2 CLI driver from the ibm_db wheel on PyPI (it bundles clidriver/ with
# libdb2.so and the headers, and ibm_db.libs/ with the libraries libdb2.so needs) into DIR and
# prints the environment for building and running connectd with Db2 support:
#
#   eval "$(connectors/db2/clidriver.sh /opt/ibm-clidriver)"
#   go build -tags db2 ./cmd/connectd
#   go test -tags db2 ./connectors/db2/
set -euo pipefail
# Pinned: the wheel's clidriver is what the Db2 build is tested with (IBM_DB_WHEEL_VERSION overrides).
version=${IBM_DB_WHEEL_VERSION:-3.3.0}
dir=${1:?usage: clidriver.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ ! -f "$dir/clidriver/lib/libdb2.so" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "ibm_db==$version" >&2
	# python3's zipfile, not unzip: Debian's minimal images have python3 (the test bed needs it
	# for pip) but not always unzip.
	python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith(("clidriver/", "ibm_db.libs/"))])' "$tmp"/ibm_db-*.whl "$dir"
	chmod -R u+rwX "$dir"
fi
echo "export IBM_DB_HOME=$dir/clidriver"
echo "export CGO_CFLAGS=-I$dir/clidriver/include"
echo "export CGO_LDFLAGS='-L$dir/clidriver/lib -Wl,-rpath-link,$dir/ibm_db.libs'"
echo "export LD_LIBRARY_PATH=$dir/clidriver/lib:$dir/ibm_db.libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
