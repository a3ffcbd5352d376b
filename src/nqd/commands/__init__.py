"""Sub-commands. Each module defines `NAME`, `HELP`, `add_arguments(parser)` and
`run(args, console) -> int`, and imports nothing heavy at module level: `nqd` imports
every command module at start-up to build its argument parser.
"""

COMMAND_MODULES = (
    "check",
    "fix",
    "changes",
    "explain",
    "kb",
    "backup",
    "health",
    "upgrade",
    "rollback",
    "containers",
    "init",
)
