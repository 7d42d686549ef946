#!/usr/bin/env bash
# Fills a Terraform filesystem mirror with the providers the synthesized stacks require
# (hashicorp/aws at the version @cdktf/provider-aws pins), from the registry, and exports
# FANOUT_PROVIDER_MIRROR so the offline plan, review and HCL tests use it like on a
# machine without internet. Run after `npm run synth`.
set -euo pipefail
mirror="${1:?usage: provider-mirror.sh <mirror directory>}"
stack_dir=$(find cdktf.out/stacks -mindepth 1 -maxdepth 1 -type d | sort | head -n 1)
[ -n "$stack_dir" ] || { echo "no synthesized stack under cdktf.out/stacks; run npm run synth first" >&2; exit 1; }
mkdir -p "$mirror"
if ! find "$mirror" -name 'terraform-provider-aws_*' -print -quit 2>/dev/null | grep -q .; then
  terraform -chdir="$stack_dir" providers mirror -platform=linux_amd64 "$mirror"
fi
echo "FANOUT_PROVIDER_MIRROR=$mirror" >>"${GITHUB_ENV:-/dev/null}"
echo "provider mirror: $mirror"
