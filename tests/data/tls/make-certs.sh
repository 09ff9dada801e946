#!/usr/bin/env bash
# realtime-gateway: regenerates the TLS test certificates in this directory
# (checked in; run this only to replace them). Needs openssl.
#
#   ca.pem          the test CA (self-signed), what --ca-file / "ca-file" get
#   server.pem      the server certificate, signed by ca.pem, for
#                   127.0.0.1, ::1 and localhost
#   server-key.pem  its private key (a test key: never use it elsewhere)
#   other-ca.pem    an unrelated CA, for "wrong CA" tests
#
# The CA keys are thrown away. Everything expires at the end of 2125.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

days=$((($(date -d 2125-12-31 +%s) - $(date +%s)) / 86400))

ec() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

ec "$tmp/ca-key.pem"
openssl req -x509 -new -key "$tmp/ca-key.pem" -sha256 -days "$days" \
  -subj "/CN=realtime-gateway test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

ec "$tmp/other-key.pem"
openssl req -x509 -new -key "$tmp/other-key.pem" -sha256 -days "$days" \
  -subj "/CN=realtime-gateway unrelated test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out other-ca.pem

ec server-key.pem
openssl req -new -key server-key.pem -subj "/CN=127.0.0.1" -out "$tmp/server.csr"
cat >"$tmp/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EXT
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey "$tmp/ca-key.pem" \
  -CAcreateserial -CAserial "$tmp/ca.srl" -sha256 -days "$days" \
  -extfile "$tmp/ext.cnf" -out server.pem
chmod 644 server-key.pem
openssl x509 -in server.pem -noout -subject -enddate -ext subjectAltName
