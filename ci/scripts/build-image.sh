#!/usr/bin/env bash
# Build IMAGE_CONTEXT/Dockerfile and push it to IMAGE_REPO_URL with an immutable tag
# (<git sha>[-m<model version>]). Writes build/image-uri and build/model-version, which the
# buildspec exports as IMAGE_URI / MODEL_VERSION for later pipeline stages.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${IMAGE_REPO_URL:?}" "${IMAGE_CONTEXT:?}"
sha="${CODEBUILD_RESOLVED_SOURCE_VERSION:-$(git rev-parse HEAD)}"
tag="${sha:0:12}"
MODEL_VERSION=""
if [ -f "$IMAGE_CONTEXT/bundle/metadata.json" ]; then
  MODEL_VERSION="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model_version"])' "$IMAGE_CONTEXT/bundle/metadata.json")"
  tag="$tag-m$MODEL_VERSION"
fi
IMAGE_URI="$IMAGE_REPO_URL:$tag"
registry="${IMAGE_REPO_URL%%/*}"

aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
docker build --pull -f "$IMAGE_CONTEXT/Dockerfile" -t "$IMAGE_URI" \
  --label "org.opencontainers.image.revision=$sha" --label "model.version=$MODEL_VERSION" \
  "${BUILD_CONTEXT:-$IMAGE_CONTEXT}"
docker push "$IMAGE_URI"
mkdir -p build
printf '%s\n' "$IMAGE_URI" > build/image-uri
printf '%s\n' "$MODEL_VERSION" > build/model-version
echo "pushed $IMAGE_URI"
