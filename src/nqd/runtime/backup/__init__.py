"""Backups that provably restore: sources, database dumps, one compressed tar, a manifest.

A backup is a directory `<backups>/<id>/` holding `backup.tar.zst` (or `.tar.gz`),
`manifest.json` (every member's path, type, size, mode, mtime, sha256) and
`<archive>.sha256`. It is built under a temporary name and renamed when complete.
"""
