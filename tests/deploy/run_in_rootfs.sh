#!/bin/sh
# Runs a command in an unpacked image the way a container runtime would for
# the manifests: the root filesystem read-only, the pod's volumes bind-mounted
# at their mount paths, a tmpfs at /tmp, /proc and /dev, as a numeric uid:gid,
# with the caller's environment (the container's, nothing else). Needs root;
# run it under `unshare --mount` so that the mounts stay private:
#
#   unshare --mount --propagation private run_in_rootfs.sh ROOTFS UID:GID \
#       [--bind HOSTDIR:PATH[:ro]]... [--tmpfs PATH:SIZE]... -- ENTRYPOINT ARGS...
#
# The command replaces this script (exec), so its pid is the one the caller
# started and SIGTERM reaches it directly.
set -eu
rootfs=$1
user=$2
shift 2
/usr/bin/mount --bind "$rootfs" "$rootfs"
/usr/bin/mount --make-private "$rootfs"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bind)
      spec=$2
      src=${spec%%:*}
      rest=${spec#*:}
      dst=${rest%%:*}
      mode=${rest#"$dst"}
      /usr/bin/mount --bind "$src" "$rootfs$dst"
      if [ "$mode" = ":ro" ]; then /usr/bin/mount -o remount,bind,ro "$rootfs$dst"; fi
      shift 2 ;;
    --tmpfs)
      dst=${2%%:*}
      size=${2#*:}
      /usr/bin/mount -t tmpfs -o "size=$size,mode=1777,nosuid,nodev" tmpfs "$rootfs$dst"
      shift 2 ;;
    --) shift; break ;;
    *) echo "run_in_rootfs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
/usr/bin/mount -t proc proc "$rootfs/proc"
/usr/bin/mount --rbind /dev "$rootfs/dev"
# Last: the root itself read-only (the mounts on it stay as they are).
/usr/bin/mount -o remount,bind,ro "$rootfs"
exec /usr/sbin/chroot --userspec="$user" "$rootfs" "$@"
