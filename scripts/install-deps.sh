#!/usr/bin/env bash
# Install the Debian packages needed to build and test equery.
# Idempotent: only packages that are not yet installed are installed, and
# `apt-get update` runs (once) only if something is missing.
#
# Usage: scripts/install-deps.sh
set -euo pipefail

# tshark, argus-server and argus-client: independent counts for the
# real-capture checks (tests/real/check_real.py). libbpf-dev, bpftool and
# linux-libc-dev (kernel UAPI headers): the eBPF backend's programs are
# built with clang -target bpf and loaded with libbpf (docs/ebpf.md).
# libssl-dev: libcrypto's SHA-256 for bundles and the build cache. man-db:
# the man pages (the install test renders them). nfdump (nfcapd, nfdump)
# and libfixbuf-tools (ipfixDump): a real collector and a decoder for the
# IPFIX export's tests (tests/export/). libsqlite3-dev and sqlite3: the
# results database (equery-run --db, equery-db; docs/db.md) and its tests.
# libjs-chart.js: equery-server's GUI charts; chromium, chromium-driver,
# python3-selenium: its test in a real browser (tests/server/).
# libmicrohttpd-dev, libcurl4-openssl-dev, libjansson-dev: the box daemon
# (equery-box) and equery-run --box (docs/boxes.md). prometheus (with
# promtool): a real scraper and checker for equery-box's GET /metrics
# (tests/export/prom_test.py; the test starts its own, the package's
# service is not needed). clickhouse-server and clickhouse-client: the
# ClickHouse results store's tests (equery-run --clickhouse;
# tests/store/clickhouse_store.py starts its own server; the package's
# system service is not used). libgnutls28-dev: the box's and the
# server's HTTPS (--tls-cert, --tls-key checked with GnuTLS, which
# libmicrohttpd serves them with); openssl and curl (the commands): the
# TLS test makes its certificates and asks the server (tests/box/).
PACKAGES="build-essential cmake ninja-build flex bison pkg-config clang llvm libclang-rt-14-dev libcyaml-dev libssl-dev libsqlite3-dev sqlite3 libpcap-dev python3 python3-scapy argus-server argus-client tshark libdpdk-dev librte-net-pcap23 libbpf-dev bpftool linux-libc-dev man-db nfdump libfixbuf-tools libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libjansson-dev openssl curl prometheus clickhouse-server clickhouse-client libjs-chart.js chromium chromium-driver python3-selenium"

missing=()
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all required packages are installed"
    exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps: not root and sudo is not available; install them with:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

"${SUDO[@]}" apt-get update
# tshark's package (wireshark-common) asks whether non-root users may
# capture; answer "no" beforehand so that the installation never prompts.
if [[ " ${missing[*]} " == *" tshark "* ]]; then
    echo "wireshark-common wireshark-common/install-setuid boolean false" \
        | "${SUDO[@]}" debconf-set-selections
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
# Debian starts prometheus.service (on every address, :9090) and
# clickhouse-server.service on installation; the tests start their own on
# loopback, so a service this script brought in is stopped and disabled.
for svc in prometheus clickhouse-server; do
    if [[ " ${missing[*]} " == *" $svc "* ]] && [ -d /run/systemd/system ]; then
        "${SUDO[@]}" systemctl disable --now "$svc.service" || true
    fi
done
echo "install-deps: installed ${missing[*]}"
