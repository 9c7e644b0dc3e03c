#!/usr/bin/env bash
# Builds the local test image outpost-test/busybox:1 with `docker import` (no registry needed):
# a static busybox, its applet links in /bin, an /etc/passwd with nobody (65534), /tmp and /outpost.
# Idempotent: skips when the image exists. Safe to run or to source (it never exits the caller).
# Prints one line saying what it did.

outpost_test_image() {
  local image="${OUTPOST_TEST_IMAGE:-outpost-test/busybox:1}"
  if docker image inspect "$image" >/dev/null 2>&1; then
    echo "test image $image already present"
    return 0
  fi
  if [ ! -x /bin/busybox ] || ! /bin/busybox --list >/dev/null 2>&1; then
    echo "cannot build $image: /bin/busybox missing (apt-get install busybox-static)" >&2
    return 1
  fi
  local root status=0
  root="$(mktemp -d)" || return 1
  (
    set -eo pipefail
    mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/outpost" "$root/proc" "$root/sys" "$root/dev"
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
      [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . \
      | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$image" >/dev/null
  ) || status=$?
  rm -rf "$root"
  if [ "$status" != 0 ]; then
    echo "failed to build test image $image" >&2
    return "$status"
  fi
  echo "built test image $image with docker import"
}

outpost_test_image
