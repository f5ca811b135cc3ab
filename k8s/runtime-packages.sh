#!/usr/bin/env bash
# Prints, one per line, the Debian packages that own the shared libraries the given binaries load (ldd), so the
# image's runtime stage installs exactly those (libcaf-dev -> libcaf-core0.17, ...) and no list drifts when a
# branch links a new library. Run in the build stage of k8s/Dockerfile; fails if a library is missing or unowned.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }

# ldd prints "FILE:" before each file's list when given several: skip those lines.
libraries=$(ldd "$@" | awk '
  /:$/ { next }
  /not found/ { print "MISSING " $1; next }
  $2 == "=>" && $3 ~ /^\// { print $3 }
  $1 ~ /^\// { print $1 }' | sort -u)
if grep -q '^MISSING' <<<"$libraries"; then
  echo "runtime-packages: unresolved libraries: $(grep '^MISSING' <<<"$libraries" | tr '\n' ' ')" >&2
  exit 1
fi

# Debian 12 is half usr-merged: dpkg may know a library as /lib/... while ldd reports /usr/lib/... or the
# reverse, and the loader as /lib64/... -> try the path as reported, then its other spellings, then its target.
owner() {
  local path=$1 candidate
  for candidate in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path")" "/usr$(readlink -f "$path")" \
                   "$(readlink -f "$path" | sed 's|^/usr||')"; do
    [ -n "$candidate" ] || continue
    dpkg-query -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
  done
  echo "runtime-packages: no package owns $path" >&2
  return 1
}

for library in $libraries; do
  owner "$library"
done | sort -u
