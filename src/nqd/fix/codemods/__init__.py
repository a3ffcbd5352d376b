"""One codemod per module, in the manner of statix: what it matches, why, and its fix.

Each module defines `NAME`, `EXPLANATION`, `matches(finding) -> bool` and
`fix(ctx, finding) -> Fix | Refusal`. `CODEMODS` is the order in which they are asked:
the first whose `matches` is true owns the finding.
"""

CODEMODS = ("logind", "git", "rename_option", "read_refs", "packages", "flake_inputs",
            "url_pins")
