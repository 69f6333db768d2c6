# Sourced by scripts/test.sh: install what the tests need on a fresh Debian
# machine. Each step is skipped when its tool is already there.

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "${APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && dirname "$(command -v initdb)" && return 0
  return 1
}

install_deps() {
  pg_bindir >/dev/null || apt_install postgresql
  command -v npm >/dev/null || apt_install nodejs npm
  # xmlsec1 verifies the IdP's signatures independently of our Go code.
  command -v xmlsec1 >/dev/null || apt_install xmlsec1
  # Debian's AWS CLI v2 (/usr/bin/aws) drives the AWS-compatible API in the
  # tests; `aws` on PATH may be a pip/pyenv CLI v1, so check the path itself.
  [ -x /usr/bin/aws ] && /usr/bin/aws --version 2>&1 | grep -q aws-cli/2 || apt_install awscli
  # pysaml2 as a real IdP for the center's SAML SP (run with /usr/bin/python3).
  dpkg -s python3-pysaml2 >/dev/null 2>&1 || apt_install python3-pysaml2
  # Apache + mod_auth_mellon as a real SP for the directory's SAML IdP.
  { command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ]; } && dpkg -s libapache2-mod-auth-mellon >/dev/null 2>&1 ||
    apt_install apache2 libapache2-mod-auth-mellon
  # Debian's Chromium for the browser tests, driven by playwright-core
  # (tools/peers); Playwright's own browser download does not work here.
  [ -x /usr/bin/chromium ] || apt_install chromium
  # Real third-party peers used by the tests (newman, SCIMMY, ...), pinned
  # in tools/peers/package-lock.json.
  if [ -f tools/peers/package.json ]; then
    if [ ! -d tools/peers/node_modules ] || [ tools/peers/package-lock.json -nt tools/peers/node_modules ]; then
      (cd tools/peers && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
}
