"""What `fix` prints: a unified diff per file, then what was done and what is left."""

from __future__ import annotations

import difflib
from pathlib import Path

from nqd.console import Console
from nqd.fix.plan import FixPlan
from nqd.report.common import counted


def _shown(path: Path) -> str:
    """Relative to the working directory when below it, else absolute."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def diff_text(plan: FixPlan) -> str:
    out = []
    for change in plan.files:
        name = _shown(change.path)
        before = change.before.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        after = change.after.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        for line in difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def render_diff(plan: FixPlan, console: Console) -> None:
    for line in diff_text(plan).splitlines():
        style = ("green",) if line.startswith("+") and not line.startswith("+++") else \
            ("red",) if line.startswith("-") and not line.startswith("---") else \
            ("bold",) if line.startswith(("---", "+++", "@@")) else ()
        console.print(console.style(line, *style))


def render_summary(plan: FixPlan, console: Console, *, written: bool,
                   run_dir: Path | None) -> None:
    """The summary goes to stderr (diagnostics), so that stdout holds only the diff."""
    info = console.info
    info(f"nqd fix: NixOS {plan.from_release} → {plan.to_release}  ({plan.release_source})")
    for diagnostic in plan.diagnostics:
        console.warn(f"{_shown(diagnostic.path)}: {diagnostic.message}")
    for applied in plan.applied:
        info(f"  fixed   {_shown(applied.path)}  {applied.rule}  {applied.description}")
    for refusal in plan.refused:
        f = refusal.finding
        info(f"  not fixed  {_shown(f.pos.path)}:{f.pos.line}  {f.rule}  {f.message}")
        info(f"             ↳ {refusal.reason}")
    for f in plan.manual:
        info(f"  by hand  {_shown(f.pos.path)}:{f.pos.line}  {f.rule}  {f.message}")
        note = f.fix_note or (f.change.migration if f.change else "")
        if note and note not in f.message:
            info(f"           ↳ {note}")
    fixes, files = counted(len(plan.applied), "fix", "fixes"), counted(len(plan.files), "file")
    them = "it" if len(plan.applied) == 1 else "them"
    if not plan.applied:
        info("nothing to fix mechanically")
    elif written:
        info(f"wrote {fixes} to {files}; `nqd fix --undo` restores "
             f"{'it' if len(plan.files) == 1 else 'them'} (originals in {run_dir})")
    else:
        info(f"{fixes} in {files} (dry run: nothing written; `nqd fix --write` applies {them})")
    for directory in plan.flake_dirs:
        info(f"next: nix flake update --flake {_shown(directory)}")
