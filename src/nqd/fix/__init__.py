"""`nqd fix`: apply the mechanical part of the findings to the files, format-preserving.

`plan` turns findings into byte-range edits (static, no side effects); `apply` and `undo`
write them (the only modules here that touch the runtime seam).
"""
