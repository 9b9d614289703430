#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given
# binaries load (their ldd closure), one per line, sorted. The Dockerfile's
# runtime stage installs exactly these (plus the data packages it names), and
# build-oci-image.sh records them, so the images follow the binaries when a
# module links a new library.
#
# Usage: deploy/container/runtime-packages.sh BINARY...
set -euo pipefail
(($#)) || { echo "usage: $0 BINARY..." >&2; exit 2; }

libs=()
for binary in "$@"; do
  out="$(ldd "$binary")" || { echo "runtime-packages.sh: ldd $binary failed" >&2; exit 1; }
  if grep -q 'not found' <<<"$out"; then
    echo "runtime-packages.sh: $binary: unresolved libraries:" >&2
    grep 'not found' <<<"$out" >&2
    exit 1
  fi
  mapfile -t -O "${#libs[@]}" libs < <(awk '/=>/ && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$out")
done
mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)

# One dpkg-query for all of them. On merged-/usr systems a library may be
# registered under /lib or /usr/lib, so ask for both spellings of each.
queries=()
for lib in "${libs[@]}"; do
  real="$(readlink -f "$lib")"
  for p in "$lib" "$real"; do
    queries+=("$p" "${p/#\/usr\/lib\//\/lib\/}" "${p/#\/lib\//\/usr\/lib\/}")
  done
done
mapfile -t queries < <(printf '%s\n' "${queries[@]}" | sort -u)
owners="$(dpkg-query -S "${queries[@]}" 2>/dev/null | grep -v '^diversion' || true)"

for lib in "${libs[@]}"; do
  name="$(basename "$lib")"
  real="$(basename "$(readlink -f "$lib")")"
  pkg="$(awk -v a="/$name" -v b="/$real" '{ p = $NF; if (substr(p, length(p) - length(a) + 1) == a || substr(p, length(p) - length(b) + 1) == b) { sub(/:.*/, "", $1); print $1; exit } }' <<<"$owners")"
  [[ -n "$pkg" ]] || { echo "runtime-packages.sh: no Debian package owns $lib" >&2; exit 1; }
  echo "$pkg"
done | sort -u
