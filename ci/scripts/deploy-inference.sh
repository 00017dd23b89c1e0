#!/usr/bin/env bash
# Publish IMAGE_URI as a new version of FUNCTION_NAME and shift the `live` alias to it through
# CodeDeploy (canary per the deployment group; automatic rollback on its alarms). Waits for the
# outcome so the pipeline fails when the canary is rolled back.
set -euo pipefail

: "${IMAGE_URI:?}" "${FUNCTION_NAME:?}" "${CODEDEPLOY_APP:?}" "${CODEDEPLOY_GROUP:?}"
alias_name="${ALIAS_NAME:-live}"

current="$(aws lambda get-alias --function-name "$FUNCTION_NAME" --name "$alias_name" --query FunctionVersion --output text)"
aws lambda update-function-code --function-name "$FUNCTION_NAME" --image-uri "$IMAGE_URI" >/dev/null
aws lambda wait function-updated-v2 --function-name "$FUNCTION_NAME"
target="$(aws lambda publish-version --function-name "$FUNCTION_NAME" --description "$IMAGE_URI" --query Version --output text)"
if [ "$current" = "$target" ]; then
  echo "live already serves version $target ($IMAGE_URI)"; exit 0
fi

appspec="$(printf '{"version":0.0,"Resources":[{"inference":{"Type":"AWS::Lambda::Function","Properties":{"Name":"%s","Alias":"%s","CurrentVersion":"%s","TargetVersion":"%s"}}}]}' \
  "$FUNCTION_NAME" "$alias_name" "$current" "$target")"
revision="$(printf '{"revisionType":"AppSpecContent","appSpecContent":{"content":%s}}' \
  "$(printf '%s' "$appspec" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')")"
deployment="$(aws deploy create-deployment --application-name "$CODEDEPLOY_APP" \
  --deployment-group-name "$CODEDEPLOY_GROUP" --revision "$revision" --query deploymentId --output text)"
echo "deployment $deployment: $FUNCTION_NAME:$alias_name $current -> $target"
aws deploy wait deployment-successful --deployment-id "$deployment"
echo "live now serves version $target"
