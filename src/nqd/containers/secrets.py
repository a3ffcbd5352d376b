"""What looks like a secret, and Compose `${VAR}` interpolation.

A value is treated as a secret when its key's name says so (`*PASSWORD*`, `*PASSWD*`,
`*TOKEN*`, `*SECRET*`, `*_KEY`, `*API_KEY*`, `*CREDENTIAL*`, ...) or when it is built from
`${VAR}` interpolation (its real value lives outside the file). Such values never reach
the generated Nix: they go to an environment file the user creates.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import replace

from nqd.containers.spec import SecretRef, Service
from nqd.errors import InputError

_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS(_|$)|_PWD$|^PWD_|TOKEN|SECRET|CREDENTIAL|"
    r"PRIVATE|_KEY$|^KEY$|APIKEY|API_KEY|_KEY_)",
    re.IGNORECASE,
)
# a URL with inline credentials: scheme://user:pass@host
_URL_CREDENTIALS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:[^/@\s]+@")
# a libpq/ODBC-style connection string with a password field
_DSN_PASSWORD = re.compile(r"(?:^|[\s;])(password|pwd)\s*=", re.IGNORECASE)
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt}, $VAR
# `$$` (a literal `$`) is matched first so that `$$VAR` is not read as `$` + `$VAR`
_INTERPOLATION = re.compile(
    r"(?P<escaped>\$\$)"
    r"|\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_SECRET_FLAG = re.compile(r"^--?[A-Za-z0-9-]*(pass|password|passwd|token|secret|api-?key)"
                          r"[A-Za-z0-9-]*$", re.IGNORECASE)


_REFERENCE_SUFFIX = ("_FILE", "_PATH", "_DIR")


def secret_name(key: str, value: str | None = None) -> bool:
    """Whether an environment variable's name says it carries a secret. A `*_FILE`/`*_PATH`
    variable holding an absolute path (`POSTGRES_PASSWORD_FILE=/run/secrets/pg`) points at
    a secret and is not one."""
    if value is not None and key.upper().endswith(_REFERENCE_SUFFIX) and value.startswith("/"):
        return False
    return bool(_SECRET_NAME.search(key))


def secret_value(value: str) -> bool:
    """Whether a value carries credentials by its shape (`scheme://user:pass@`, `password=`)."""
    return bool(_URL_CREDENTIALS.search(value) or _DSN_PASSWORD.search(value))


def secret_flag(flag: str) -> bool:
    """Whether a command-line flag such as `--requirepass` or `--api-key` takes a secret."""
    return bool(_SECRET_FLAG.match(flag.split("=", 1)[0]))


def variables(value: str) -> tuple[str, ...]:
    """The `${VAR}`/`$VAR` names a Compose value interpolates (`$$` is a literal `$`)."""
    names: list[str] = []
    for match in _INTERPOLATION.finditer(value):
        name = match.group("braced") or match.group("bare")
        if name and name not in names:
            names.append(name)
    return tuple(names)


class InterpolationError(ValueError):
    """A `${VAR}` that has neither a value nor a default."""


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Resolve Compose interpolation in a non-secret field (image, ports, paths...).

    Uses `env` (the `.env` file beside the compose file), then the inline default.
    Raises InterpolationError for `${VAR:?message}` or an unset variable without default.
    """
    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = str(match.group("braced") or match.group("bare"))
        op, arg = match.group("op"), (match.group("arg") or "").replace("$$", "$")
        present = name in env and (env[name] != "" or not (op or "").startswith(":"))
        if op in (":+", "+"):
            return arg if present else ""
        if present:
            return env[name]
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise InterpolationError(f"${{{name}}} is required: {arg}".rstrip(": "))
        raise InterpolationError(f"${{{name}}} is not set and has no default")

    return _INTERPOLATION.sub(replace, value)


def read_dotenv(text: str) -> dict[str, str]:
    """A Compose `.env` file: `KEY=VALUE` lines, `#` comments, optional quotes."""
    result: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, val = line.partition("=")
        if not sep:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
            val = val[1:-1]
        elif " #" in val:
            val = val.split(" #", 1)[0].rstrip()
        result[key.strip()] = val
    return result


def _shell_word(segments: list[tuple[str, bool]]) -> str:
    """One shell word from literal and `"$VAR"` segments."""
    import shlex

    out = []
    for text, is_var in segments:
        out.append(f'"${text}"' if is_var else shlex.quote(text) if text else "")
    return "".join(out) or "''"


def protect_command(
    args: list[str], env: Mapping[str, str]
) -> tuple[list[str], dict[str, str], list[str]]:
    """Keep secrets out of a container's command line.

    Returns the new argument list, the secrets moved out (variable name -> original text,
    which the caller puts in an environment file, never in Nix), and the names of
    non-secret variables that could not be resolved. A secret argument (the value after
    `--requirepass`, `--api-key=...`, or an argument interpolating a secret or unknown
    `${VAR}`) makes the command `sh -c 'exec ... "$VAR"'`, so the container's shell reads
    the value from its environment at start.
    """
    words: list[list[tuple[str, bool]]] = []
    moved: dict[str, str] = {}
    unresolved: list[str] = []
    pending_flag: str | None = None
    for arg in args:
        if pending_flag is not None:
            name = _value_variable(pending_flag, arg)
            moved[name] = env.get(name, arg) if name != _flag_variable(pending_flag) else arg
            words.append([("", False), (name, True)])
            pending_flag = None
            continue
        flag, eq, value = arg.partition("=")
        if arg.startswith("-") and secret_flag(flag):
            if eq:
                name = _value_variable(flag, value)
                moved[name] = env.get(name, value) if name != _flag_variable(flag) else value
                words.append([(flag + "=", False), (name, True)])
            else:
                words.append([(arg, False)])
                pending_flag = flag
            continue
        names = variables(arg)
        if all(not secret_name(n) for n in names):
            try:
                resolved = interpolate(arg, env)
            except InterpolationError:
                resolved = None
            if resolved is not None and not secret_value(resolved):
                words.append([(resolved, False)])
                continue
            if resolved is not None:  # credentials in the text itself (a URL with a password)
                previous = words[-1][0][0] if words and len(words[-1]) == 1 else ""
                name = _value_variable(flag, "") if arg.startswith("-") and eq else (
                    _flag_variable(previous) if previous.startswith("-") else "SECRET_ARG")
                moved[name] = resolved
                prefix = flag + "=" if arg.startswith("-") and eq else ""
                words.append([(prefix, False), (name, True)])
                continue
        segments: list[tuple[str, bool]] = []
        position = 0
        for match in _INTERPOLATION.finditer(arg):
            if match.group("escaped"):
                continue
            name = str(match.group("braced") or match.group("bare"))
            segments.append((arg[position:match.start()].replace("$$", "$"), False))
            segments.append((name, True))
            if secret_name(name) or name not in env:
                moved.setdefault(name, env.get(name, ""))
                if not secret_name(name) and name not in env:
                    unresolved.append(name)
            position = match.end()
        segments.append((arg[position:].replace("$$", "$"), False))
        words.append(segments)
    if not moved and all(len(w) == 1 and not w[0][1] for w in words):
        return [w[0][0] for w in words], {}, unresolved
    script = "exec " + " ".join(_shell_word(w) for w in words)
    return ["sh", "-c", script], moved, unresolved


def _value_variable(flag: str, value: str) -> str:
    """The variable a secret flag's value comes from: `${VAR}` itself, else one named
    after the flag (`--requirepass` → `REQUIREPASS`)."""
    match = _INTERPOLATION.fullmatch(value)
    if match and not match.group("escaped") and not match.group("op"):
        return str(match.group("braced") or match.group("bare"))
    return _flag_variable(flag)


def _flag_variable(flag: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", flag.lstrip("-")).strip("_").upper()
    return name or "SECRET"


def set_protected_command(svc: Service, args: list[str], env: Mapping[str, str],
                          *, env_source: str) -> None:
    """Set `svc.cmd` from `args` with secrets moved out of the command line (see
    `protect_command`), recording each moved secret and a note for the user.
    `env_source` names where unresolved `${VAR}` values were looked up (".env", ...)."""
    new_args, moved, unresolved = protect_command(args, env)
    if moved and args[:1] and args[0].startswith("-"):
        raise InputError(
            f"{svc.source}: service {svc.name}: the command holds only arguments for the "
            f"image's entrypoint and passes a secret ({', '.join(moved)}); nqd keeps a secret "
            f"out of the Nix store by running the command through sh, which would hand the "
            f"entrypoint `sh -c ...` as its arguments: pass the secret in an environment "
            f"variable the program reads instead")
    for var, original in moved.items():
        referenced = (var,) if any(f"${{{var}" in a or f"${var}" in a for a in args) else ()
        svc.secrets.append(SecretRef(svc.name, var, "secret on the command line",
                                     referenced, original))
    if moved:
        svc.notes.append("command rewritten to `sh -c 'exec ...'` so that "
                         + ", ".join(f"${v}" for v in moved)
                         + " is read from the environment file, not the Nix store "
                         "(the image needs a /bin/sh, and its entrypoint script may skip setup "
                         "such as dropping root)")
    for var in unresolved:
        svc.notes.append(f"${{{var}}} in the command has no value in {env_source}: set it in "
                         f"the environment file")
    svc.cmd = new_args


def protect_healthcheck(svc: Service, env: Mapping[str, str]) -> None:
    """Keep secrets out of the health check's command too: podman passes it as
    `--health-cmd`, which lands in the Nix store like the command line. The value of a
    secret flag (`--api-key=...`, `--requirepass ...`) and the literal value of a secret
    already moved out of the service (`redis-cli -a PASS` after `--requirepass PASS`)
    become `${VAR}`, read from the environment file at check time (the check runs in the
    container, with its environment). `$VAR`s of the container's own shell stay as they
    are."""
    check = svc.healthcheck
    if check is None or check.test is None or check.disabled:
        return
    known = {ref.value: ref.key for ref in svc.secrets if ref.value}
    if isinstance(check.test, tuple):
        # `$` is the container shell's here (Compose's `$$` was undone when read):
        # escaped again so that only the secrets put in below are interpolations.
        args = [f"${{{known[a]}}}" if a in known else a.replace("$", "$$") for a in check.test]
        environment = {k: v for k, v in env.items() if k not in known.values()}
        new_args, moved, _ = protect_command(args, environment)
        if new_args[:2] != ["sh", "-c"]:
            return
        test = new_args[2]
    else:
        test, moved = _hide_in_shell_text(check.test, known)
        if not moved:
            return
    for var, original in moved.items():
        if var not in known.values():
            svc.secrets.append(SecretRef(svc.name, var, "secret in the health check",
                                         (), original))
    svc.healthcheck = replace(check, test=test)  # a shell form: podman runs it with sh -c
    svc.notes.append("health check rewritten to read " + ", ".join(f"${v}" for v in moved)
                     + " from the environment file, not the Nix store")


def _hide_in_shell_text(text: str, known: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """A shell-form check with each secret (a known secret's value, a secret flag's value)
    written as `${VAR}`; the words are found with shlex, the text keeps its operators."""
    try:
        words = shlex.split(text)
    except ValueError:  # not splittable: left as written
        return text, {}
    found: dict[str, str] = {value: var for value, var in known.items() if value in words}
    for i, word in enumerate(words):
        flag, eq, value = word.partition("=")
        if not word.startswith("-") or not secret_flag(flag):
            continue
        if eq and value and "$" not in value:
            found.setdefault(value, _flag_variable(flag))
        elif not eq and i + 1 < len(words) and "$" not in words[i + 1]:
            found.setdefault(words[i + 1], _flag_variable(flag))
    moved = {}
    for value, var in sorted(found.items(), key=lambda item: -len(item[0])):
        if value in text:
            text = text.replace(value, f"${{{var}}}")
            moved[var] = value
    return text, moved
