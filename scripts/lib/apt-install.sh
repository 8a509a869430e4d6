# Sourced by the install-*.sh scripts: apt_install NAME SKIPPED PKG...
# Installs Debian packages with bounded waits (an unreachable mirror or a held dpkg lock must not
# hang CI). Never fails: returns 0 with a message naming why when it cannot install (no apt-get,
# not root and no password-less sudo, apt unreachable), and SKIPPED says what then skips.

apt_install() {
  local name=$1 skipped=$2
  shift 2
  local say_prefix="install-$name:"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$say_prefix cannot install $*: no apt-get on this machine (not Debian/Ubuntu). $skipped"
    return 0
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "$say_prefix cannot install $*: not root and no password-less sudo. Run as root: apt-get install -y $*. $skipped"
      return 0
    fi
  fi
  local log="/tmp/install-$name.log"
  local opts=(-q -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20 -o Acquire::Retries=1 -o DPkg::Lock::Timeout=120)
  echo "$say_prefix installing $* with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${opts[@]}" install -y --no-install-recommends "$@" >"$log" 2>&1; then
    echo "$say_prefix first attempt failed; running apt-get update and retrying"
    if ! { DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${opts[@]}" update &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${opts[@]}" install -y --no-install-recommends "$@"; } >>"$log" 2>&1; then
      echo "$say_prefix cannot install $*: apt-get failed (apt unreachable?). Last lines of $log:"
      tail -n 5 "$log" | sed 's/^/  /'
      echo "$say_prefix $skipped"
    fi
  fi
  return 0
}
