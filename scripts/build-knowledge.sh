#!/usr/bin/env bash
# Rebuild the shipped release knowledge (src/nqd/knowledge/data/*.json) with `nqd kb extract`.
#
# The source trees are NOT part of this repository. Point the variables below at them:
#   HM_2505, HM_2511, HM_2605     Home Manager trees (full checkouts or exports) of the branches
#                                 release-25.05, release-25.11, release-26.05.
#   NIXPKGS_2505, NIXPKGS_2511, NIXPKGS_2605
#                                 nixpkgs trees (full checkouts, or "mini trees" of single files
#                                 with a .nqd-sources.json manifest, see docs/knowledge.md).
#   NIXPKGS_2511_OLD              the tree used as OLD for 25.11→26.05 (defaults to NIXPKGS_2511).
#
# Commits used for the shipped files (docs/knowledge.md explains how they were obtained):
#   Home Manager release-25.05  44831a7eaba4360fb81f2acc5ea6de5fde90aaa3  (2025-11-24)
#   Home Manager release-25.11  3ee51fbdac8c8bdfe1e7e1fcaba6520a563f394f  (2026-05-22)
#   Home Manager release-26.05  65258d5c65a250189fde2e35f490d15e064c4c62  (2026-08-22)
#   nixpkgs: mini trees of single files; each file's repository and commit is recorded in the
#   tree's .nqd-sources.json and in every change's evidence.
#
# Commits of trees that are not git checkouts are passed explicitly (HM_*_COMMIT); for git
# checkouts the extractor runs `git rev-parse HEAD` itself.
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=src/nqd/knowledge/data
CURATED=src/nqd/knowledge/curated

: "${HM_2505:=/tmp/hm-25.05}" "${HM_2511:=/tmp/hm-25.11}" "${HM_2605:=/tmp/hm-26.05}"
: "${HM_2505_COMMIT:=44831a7eaba4360fb81f2acc5ea6de5fde90aaa3}"
: "${HM_2511_COMMIT:=3ee51fbdac8c8bdfe1e7e1fcaba6520a563f394f}"
: "${HM_2605_COMMIT:=65258d5c65a250189fde2e35f490d15e064c4c62}"
: "${NIXPKGS_2505:=/tmp/nixpkgs-mini/25.05}" "${NIXPKGS_2511:=/tmp/nixpkgs-mini/25.11}"
: "${NIXPKGS_2511_OLD:=/tmp/nixpkgs-mini/25.11-full}" "${NIXPKGS_2605:=/tmp/nixpkgs-mini/26.05}"

curated_arg() {
  if [[ -f "$CURATED/$1.json" ]]; then echo "--curated $CURATED/$1.json"; fi
}

# shellcheck disable=SC2046
python3 -m nqd kb extract --from 25.05 --to 25.11 \
  --nixpkgs "$NIXPKGS_2505" "$NIXPKGS_2511" \
  --home-manager "$HM_2505" "$HM_2511" \
  --home-manager-commit "$HM_2505_COMMIT" "$HM_2511_COMMIT" \
  $(curated_arg 25.11) --out "$DATA/25.11.json"

# shellcheck disable=SC2046
python3 -m nqd kb extract --from 25.11 --to 26.05 \
  --nixpkgs "$NIXPKGS_2511_OLD" "$NIXPKGS_2605" \
  --home-manager "$HM_2511" "$HM_2605" \
  --home-manager-commit "$HM_2511_COMMIT" "$HM_2605_COMMIT" \
  $(curated_arg 26.05) --out "$DATA/26.05.json"

python3 -m nqd kb stats
