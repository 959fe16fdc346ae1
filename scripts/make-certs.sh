#!/usr/bin/env bash
# Makes the development certificate that stage 7 serves by default:
# DIR/cert.pem and DIR/key.pem, for https://localhost and https://127.0.0.1.
# Does nothing when both files exist already (delete them to make new ones).
#
#   scripts/make-certs.sh [DIR]        (DIR defaults to build/certs)
#
# The certificate is self-signed, so the same file is both what the server
# sends and what a client trusts:
#   curl --cacert build/certs/cert.pem https://127.0.0.1:4443/
# and the black-box tests verify the server against it the same way.
#
# Why these extensions (each was checked with OpenSSL 3, curl and Chromium):
# - subjectAltName: clients match the host name against the SAN only, never
#   the CN (RFC 6125 section 6.4.4); without IP:127.0.0.1 curl rejects
#   https://127.0.0.1.
# - CA:TRUE + keyCertSign: Chromium refuses a self-signed certificate that
#   is imported as an authority (Settings > Manage certificates) unless it
#   is a CA (ERR_CERT_INVALID); curl and OpenSSL accept either.
# - nameConstraints: a CA can sign certificates for any site, so anyone who
#   copied key.pem could impersonate, say, your bank to a browser that
#   trusts this file. The constraints limit whatever it signs to localhost,
#   127.0.0.1 and ::1 (OpenSSL and Chromium enforce them), and pathlen:0
#   forbids intermediate CAs below it.
# - ECDSA P-256: a small key, a fast handshake, and every TLS 1.2/1.3
#   client supports it. Valid 365 days: browsers cap certificates at 398.
set -euo pipefail

dir=${1:-build/certs}
cert=$dir/cert.pem
key=$dir/key.pem
days=365

if [[ -s $cert && -s $key ]]; then
    exit 0
fi
command -v openssl >/dev/null 2>&1 || {
    echo "make-certs: needs the openssl command (Debian: apt-get install openssl)" >&2
    exit 1
}

mkdir -p "$dir"
# Made in a temporary folder beside the result, then moved in key first and
# certificate last: an interrupted run never leaves a certificate without
# its key (and the next run, seeing no certificate, starts again).
work=$(mktemp -d "$dir/.make-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 077  # the private key is readable by its owner only

cat >"$work/openssl.cnf" <<'EOF'
[req]
distinguished_name = subject
x509_extensions = development
prompt = no

[subject]
CN = localhost
O = HTTP course development certificate

[development]
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
nameConstraints = critical, permitted;DNS:localhost, permitted;IP:127.0.0.1/255.255.255.255, permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
subjectKeyIdentifier = hash
EOF

openssl req -x509 -new -config "$work/openssl.cnf" -days "$days" \
    -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/openssl.log" || {
    cat "$work/openssl.log" >&2
    exit 1
}
chmod 644 "$work/cert.pem"
mv -f "$work/key.pem" "$key"
mv -f "$work/cert.pem" "$cert"

echo "made $cert and $key: a self-signed certificate for localhost, 127.0.0.1 and ::1, valid $days days"
echo "  try: curl --cacert $cert https://127.0.0.1:4443/"
