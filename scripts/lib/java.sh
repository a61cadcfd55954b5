# shellcheck shell=bash
# Sourced by scripts/backstop, scripts/test and .ci/run: finds a JDK 22+ and Maven.
# Everything here writes to stderr only, because stdout of scripts/backstop is generated text.

# Jlama needs the Vector API incubator module and native access for jlama-native.
# The native engine's row decoders are kept out of the batched kernels' compilation units: when C2
# inlines one into WeightTensor's 4x4-tile loop it sometimes runs out of inlining budget and boxes every
# vector (~4 of 14 fresh JVMs: a batch-4 decode step 3x slower, 384 MB allocated per step).
# "quiet" keeps HotSpot from announcing the command on stdout.
# shellcheck disable=SC2034  # used by the scripts that source this file
BACKSTOP_JVM_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:CompileCommand=quiet -XX:CompileCommand=dontinline,io.backstop.engine.backend.gguf.tensor.*::decodeRow"

# Prints the major version (8, 17, 21, 25, …) of the JDK at $1, or nothing if it is not a JDK.
_backstop_java_major() {
  local home=$1 v=""
  [ -x "$home/bin/java" ] || return 1
  # The release file is cheap to read and avoids starting a JVM.
  if [ -r "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}.*$/\1/p' "$home/release" | head -n 1)
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  case $v in 1.*) v=${v#1.} ;; esac   # "1.8.0_392" means 8
  v=${v%%[!0-9]*}                      # "21.0.2", "21-ea", "25+36" -> leading digits
  [ -n "$v" ] || return 1
  printf '%s\n' "$v"
}

# Resolves symlinks without GNU readlink -f (macOS before 12.3 lacks it).
_backstop_realpath() {
  local p=$1 link
  while [ -L "$p" ]; do
    link=$(readlink "$p")
    case $link in /*) p=$link ;; *) p=$(dirname "$p")/$link ;; esac
  done
  (cd "$(dirname "$p")" 2>/dev/null && printf '%s/%s\n' "$(pwd -P)" "$(basename "$p")") || printf '%s\n' "$p"
}

# Home of the `java` on PATH, or nothing. Asks the JVM when the layout is unusual (e.g. macOS stubs).
_backstop_path_java_home() {
  local java home
  java=$(command -v java 2>/dev/null) || return 1
  home=$(dirname "$(dirname "$(_backstop_realpath "$java")")")
  if [ ! -x "$home/bin/javac" ]; then
    home=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -n 1)
  fi
  [ -n "$home" ] && printf '%s\n' "$home"
}

# Exports JAVA_HOME to the newest JDK >= 22 found (an explicit JAVA_HOME >= 22 wins),
# and BACKSTOP_JAVA_MAJOR to its major version.
backstop_find_java() {
  local min=22 major best="" best_major=0 seen="|" found="" d real
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(_backstop_java_major "$JAVA_HOME") || major=""
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      export JAVA_HOME BACKSTOP_JAVA_MAJOR=$major
      return 0
    fi
  fi

  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if [ -x /usr/libexec/java_home ]; then
    d=$(/usr/libexec/java_home -v "$min+" 2>/dev/null) && candidates+=("$d")
  fi
  for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
           "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home \
           /opt/homebrew/opt/openjdk*/libexec/openjdk.jdk/Contents/Home \
           /usr/local/opt/openjdk*/libexec/openjdk.jdk/Contents/Home /usr/local/opt/openjdk*; do
    candidates+=("$d")   # unmatched globs stay literal and fail the checks below
  done
  d=$(_backstop_path_java_home) && candidates+=("$d")

  for d in "${candidates[@]}"; do
    if [ ! -d "$d" ] || [ ! -x "$d/bin/java" ]; then continue; fi
    real=$(cd "$d" && pwd -P) || continue
    case $seen in *"|$real|"*) continue ;; esac   # /usr/lib/jvm has many aliases of one JDK
    seen="$seen$real|"
    major=$(_backstop_java_major "$real") || continue
    if [ ! -x "$real/bin/javac" ]; then
      found="$found${found:+, }$major (JRE only) at $real"
      continue
    fi
    found="$found${found:+, }$major at $real"
    if [ "$major" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then
      best=$real
      best_major=$major
    fi
  done

  if [ -z "$best" ]; then
    echo "backstop: needs a JDK $min or newer (found: ${found:-none}). Install one (e.g. Temurin $min+) or set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME=$best BACKSTOP_JAVA_MAJOR=$best_major
}

# Checks that Maven is installed (used to build on first run and by scripts/test).
backstop_find_maven() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "backstop: needs Maven 3.8 or newer to build, but 'mvn' is not on PATH. Install it (e.g. 'apt-get install maven', 'brew install maven', or https://maven.apache.org/download.cgi)." >&2
    return 1
  fi
  # Maven's bundled Guava uses sun.misc.Unsafe, which JDK 24+ warns about on every run (flag exists since 23).
  if [ "${BACKSTOP_JAVA_MAJOR:-0}" -ge 24 ]; then
    case ${MAVEN_OPTS:-} in
      *sun-misc-unsafe-memory-access*) ;;
      *) export MAVEN_OPTS="${MAVEN_OPTS:-}${MAVEN_OPTS:+ }--sun-misc-unsafe-memory-access=allow" ;;
    esac
  fi
}
