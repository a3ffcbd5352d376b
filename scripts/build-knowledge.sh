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
#   nixos/modules/rename.nix (complete copies from forks of NixOS/nixpkgs, which track master;
#   docs/knowledge.md "rename.nix" gives the evidence for each date bound). Each pair diffs two
#   copies dated inside the release's window, so it sees the entries added between them only:
#     25.05->25.11  OLD (in NIXPKGS_2505)      faukah/nixpkgs   3b20077cd82fd1f099e92e2792d73e3176d4869d
#                     >= 2025-06-11 (newest "# Added" date of its own aliases.nix: slrn)
#                   NEW (in NIXPKGS_2511)      Mic92/nixpkgs    01b0378fd05aa8830b515098111702d98103f69b
#                     >= 2025-10-12 (its aliases.nix: tet), < 2025-10-13 (its aliases.nix has no
#                     php81 throw, NixOS/nixpkgs#448348; php81 was gone from nixpkgs by then per
#                     flyingcircusio/fc-nixos#1873)
#     25.11->26.05  OLD (in NIXPKGS_2511_OLD)  Sylonin/nixpkgs  f21c60166e20915a60fa1dcfa4bdc9b0892a0ec6
#                     >= 2025-11-29 (its own rename.nix entry "# added 2025-11-29")
#                   NEW (in NIXPKGS_2605)      kodek/nixpkgs    1c289ce141f5c2b2e32be53023fdaaa6893c9f14
#                     >= 2026-05-13 (its own "# added 2026-05-13"), before the release-26.05
#                     branch-off (lacks services.xserver.cmt, removed by NixOS/nixpkgs#518434,
#                     merged during the pre-branch-off freeze per NixOS/nixpkgs#524214)
#   nixpkgs package aliases (date-window mode, docs/knowledge.md "Package aliases"):
#   NIXPKGS_SNAPSHOT holds pkgs/top-level/aliases.nix and python-aliases.nix of ONE later
#   snapshot, Swarsel/nixpkgs 4aa6836a648ca76c68866decf0c8965e36ec2a3b (a fork of
#   NixOS/nixpkgs; its newest dated alias entry is 2026-07-14). Entries are assigned to a
#   release by their "# Added YYYY-MM-DD" comment and the branch-off dates below.
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
: "${NIXPKGS_SNAPSHOT:=/tmp/nixpkgs-snapshot}" "${NIXPKGS_SNAPSHOT_REPO:=Swarsel/nixpkgs}"
: "${NIXPKGS_SNAPSHOT_COMMIT:=4aa6836a648ca76c68866decf0c8965e36ec2a3b}"
# Branch-off dates (sources in docs/knowledge.md): release-25.05 on 2025-05-16, release-25.11
# between 2025-11-14 and 2025-11-25 (exact day not found), release-26.05 on 2026-05-23/24.
# Entries dated on an uncertain day are reported in sources.dated_snapshot.unassigned.
UNCERTAIN=(--uncertain 2025-05-16 2025-05-17 --uncertain 2025-11-01 2025-11-26
           --uncertain 2026-05-23 2026-05-25)
snapshot_args() {  # START END of the window
  echo --nixpkgs-snapshot "$NIXPKGS_SNAPSHOT" --nixpkgs-snapshot-repo "$NIXPKGS_SNAPSHOT_REPO" \
    --nixpkgs-snapshot-commit "$NIXPKGS_SNAPSHOT_COMMIT" --window "$1" "$2" "${UNCERTAIN[@]}"
}

curated_arg() {
  if [[ -f "$CURATED/$1.json" ]]; then echo "--curated $CURATED/$1.json"; fi
}

# shellcheck disable=SC2046
python3 -m nqd kb extract --from 25.05 --to 25.11 \
  --nixpkgs "$NIXPKGS_2505" "$NIXPKGS_2511" \
  --home-manager "$HM_2505" "$HM_2511" \
  --home-manager-commit "$HM_2505_COMMIT" "$HM_2511_COMMIT" \
  $(snapshot_args 2025-05-17 2025-11-01) \
  $(curated_arg 25.11) --out "$DATA/25.11.json"

# shellcheck disable=SC2046
python3 -m nqd kb extract --from 25.11 --to 26.05 \
  --nixpkgs "$NIXPKGS_2511_OLD" "$NIXPKGS_2605" \
  --home-manager "$HM_2511" "$HM_2605" \
  --home-manager-commit "$HM_2511_COMMIT" "$HM_2605_COMMIT" \
  $(snapshot_args 2025-11-26 2026-05-23) \
  $(curated_arg 26.05) --out "$DATA/26.05.json"

python3 -m nqd kb stats
