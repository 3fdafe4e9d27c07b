#!/usr/bin/env bash
# Prints the digests the root Dockerfile pins and the ones the registry serves now for
# the same tags, and how to move the pin. Needs registry access (Docker Hub) and one of:
# `docker buildx imagetools` (Docker with buildx), `skopeo` or `crane`.
#
#   scripts/pin-image.sh            # compare, change nothing
#   scripts/pin-image.sh --write    # also rewrite the pins in the Dockerfile
#
# A digest is the multi-arch index (manifest list) digest, the one `docker pull TAG`
# reports, so one pin serves linux/amd64 and linux/arm64 alike.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERFILE=Dockerfile
write=false
case "${1:-}" in
  --write) write=true ;;
  "") ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "pin-image: unknown option $1 (--write, --help)" >&2; exit 2 ;;
esac

# the index digest of an image reference (docker.io/library is implied for short names)
remote_digest() {
  local ref=$1
  if docker buildx version >/dev/null 2>&1; then
    # the JSON form: a plain template may be ignored by some buildx versions
    docker buildx imagetools inspect "$ref" --format '{{json .Manifest.Digest}}' | tr -d '"[:space:]'
    echo
  elif command -v skopeo >/dev/null 2>&1; then
    # the raw manifest of a tag is its index: its sha256 is the digest
    echo "sha256:$(skopeo inspect --raw "docker://$(qualified "$ref")" | sha256sum | cut -d' ' -f1)"
  elif command -v crane >/dev/null 2>&1; then
    crane digest "$ref"
  else
    echo "pin-image: no registry client: install Docker with buildx, skopeo or crane" >&2
    return 3
  fi
}

qualified() {  # python:3.11 -> docker.io/library/python:3.11, docker/dockerfile:1.7 -> docker.io/docker/dockerfile:1.7
  case "$1" in
    */*/*) echo "$1" ;;
    */*) echo "docker.io/$1" ;;
    *) echo "docker.io/library/$1" ;;
  esac
}

# the pinned references: the ARG PYTHON_IMAGE default and the `# syntax=` frontend
python_pin=$(sed -n 's/^ARG PYTHON_IMAGE=//p' "$DOCKERFILE")
syntax_pin=$(sed -n '1s/^# syntax=//p' "$DOCKERFILE")
status=0
changed=false
for pin in "$python_pin" "$syntax_pin"; do
  [ -n "$pin" ] || continue
  tag=${pin%@*}
  pinned=${pin#*@}
  current=$(remote_digest "$tag") || exit $?
  if ! [[ $current =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "pin-image: no digest for $tag from the registry (got '$current')" >&2
    exit 3
  fi
  if [ "$current" = "$pinned" ]; then
    echo "$tag: pinned $pinned, current (nothing to do)"
    continue
  fi
  echo "$tag: pinned  $pinned"
  echo "$tag: current $current"
  changed=true
  if $write; then
    sed -i "s|${tag}@${pinned}|${tag}@${current}|" "$DOCKERFILE"
    echo "  -> $DOCKERFILE now pins $tag@$current"
  else
    status=1
  fi
done

if $changed; then
  cat <<'EOF'

To move the pin: run `scripts/pin-image.sh --write` (or edit the ARG PYTHON_IMAGE line,
and the `# syntax=` line, of the Dockerfile by hand); update the comment above
ARG PYTHON_IMAGE (the Python version the tag now carries and today's date), then build
and test the image where a container engine answers:
  make image
  .venv/bin/python -m pytest tests/image -rs
and commit the Dockerfile. Keep the tag (python:3.11-slim-bookworm): Python 3.11 is what
uv.lock was resolved for.
EOF
fi
exit "$status"
