#!/usr/bin/env bash
# Build IMAGE_CONTEXT/Dockerfile and push it to IMAGE_REPO_URL with an immutable tag
# (<git sha>[-m<model version>]). Writes build/image-uri as <repository>@sha256:<digest>: later
# stages, the release record and the release manifest name the image by digest, so prod runs
# exactly the bytes staging tested. The buildspec exports IMAGE_URI, MODEL_VERSION,
# MODEL_SHA256 and BUNDLE_PREFIX (the last three from fetch-bundle.sh, empty without a bundle).
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${IMAGE_REPO_URL:?}" "${IMAGE_CONTEXT:?}"
sha="${CODEBUILD_RESOLVED_SOURCE_VERSION:-$(git rev-parse HEAD)}"
tag="${sha:0:12}"
mkdir -p build
touch build/model-version build/model-sha256 build/bundle-prefix
MODEL_VERSION="$(cat build/model-version)"
MODEL_SHA256="$(cat build/model-sha256)"
if [ -n "$MODEL_VERSION" ]; then
  tag="$tag-m$MODEL_VERSION"
fi
registry="${IMAGE_REPO_URL%%/*}"
repository="${IMAGE_REPO_URL#*/}"

aws ecr get-login-password | docker login --username AWS --password-stdin "$registry"
docker build --pull -f "$IMAGE_CONTEXT/Dockerfile" -t "$IMAGE_REPO_URL:$tag" \
  --label "org.opencontainers.image.revision=$sha" --label "model.version=$MODEL_VERSION" \
  --label "model.sha256=$MODEL_SHA256" "${BUILD_CONTEXT:-$IMAGE_CONTEXT}"
docker push "$IMAGE_REPO_URL:$tag"
digest="$(aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=$tag" \
  --query 'imageDetails[0].imageDigest' --output text)"
case "$digest" in sha256:*) ;; *) echo "no digest for $IMAGE_REPO_URL:$tag (got '$digest')" >&2; exit 1 ;; esac
printf '%s@%s\n' "$IMAGE_REPO_URL" "$digest" > build/image-uri
echo "pushed $IMAGE_REPO_URL:$tag = $(cat build/image-uri)"
