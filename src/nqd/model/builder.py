"""Build the `ConfigModel` of a set of paths: discover, extract, resolve imports and contexts."""

from __future__ import annotations

import functools
import gc
import json
import os
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nqd.model.extract import (
    FileFacts,
    ImportRef,
    extract_file,
    set_context,
)
from nqd.model.facts_cache import FactsCache
from nqd.model.files import SourceFile, discover, read_source
from nqd.model.flake_url import parse_flake_url
from nqd.model.gc_pause import no_cyclic_gc
from nqd.model.interest import Interest
from nqd.model.records import Record, from_record, to_record
from nqd.model.types import (
    ConfigModel,
    Context,
    Diagnostic,
    FileModel,
    LockedInput,
    OptionDef,
    PackageRef,
    ReadRef,
    SourcePos,
)
from nqd.nix.parser import parse

if TYPE_CHECKING:
    from concurrent.futures import Future

PARALLEL_THRESHOLD = 150  # files; below this a worker pool costs more than it saves

_NIXOS_ROOTS = frozenset(
    {"boot", "system", "networking", "users", "hardware", "fileSystems", "swapDevices",
     "environment", "security", "i18n", "time", "console", "virtualisation", "powerManagement",
     "zramSwap", "location", "documentation"}
)
_HM_ROOTS = frozenset({"home", "manual", "news", "accounts", "targets"})


def build_model(paths: Iterable[Path], *, jobs: int | None = None,
                interest: Interest | None = None, follow_imports: bool = True,
                cache: FactsCache | None = None,
                discovered: tuple[list[Path], list[Diagnostic]] | None = None) -> ConfigModel:
    """The model of every `.nix` file under `paths` and (unless `follow_imports` is off)
    what they import. With an `interest`, files that mention none of its names are
    extracted lite (see `nqd.model.interest`): the model then holds what a check for those
    names needs. With a `cache`, unchanged files are not parsed again, and the cache is
    saved at the end. `discovered`: what `discover(paths)` already returned."""
    _import_target_file.cache_clear()  # what the filesystem said to an earlier build
    roots = [Path(p) for p in paths]
    files, diagnostics = discovered if discovered is not None else discover(roots)
    model = ConfigModel(roots=roots, diagnostics=list(diagnostics))
    with no_cyclic_gc():
        facts = _extract_all(files, model.diagnostics, jobs, interest, cache)
        if follow_imports:
            _follow_imports(facts, model.diagnostics, interest, cache)
    if cache is not None:
        cache.save()
    contexts = _assign_contexts(facts)
    for path, fact in facts.items():
        context = contexts.get(path, Context.UNKNOWN)
        model.files[path] = _file_model(fact, context)
        if fact.unanalysed is not None:
            model.diagnostics.append(Diagnostic("unanalysed", fact.unanalysed, path))
        if fact.problems:  # the first, as Nix reports it: later ones are often its echoes
            problem, more = fact.problems[0], len(fact.problems) - 1
            pos = SourcePos(path, problem.line, problem.column, problem.end_line,
                            problem.end_column, problem.start_byte, problem.end_byte)
            message = problem.message + (f" (and {more} more after it)" if more else "")
            model.diagnostics.append(Diagnostic("syntax-error", message, path, pos))
    model.diagnostics.extend(_import_problems(facts))
    for path, fact in facts.items():
        if fact.is_flake:
            model.locked_inputs.extend(_read_lock(path.parent / "flake.lock", model.diagnostics))
    return model


def _extract_all(files: list[Path], diagnostics: list[Diagnostic], jobs: int | None,
                 interest: Interest | None, cache: FactsCache | None) -> dict[Path, FileFacts]:
    sources: list[SourceFile] = []
    for path in files:
        source, problem = read_source(path)
        if problem is not None:
            diagnostics.append(problem)
        elif source is not None:
            sources.append(source)
    facts: dict[Path, FileFacts] = {}
    todo: list[SourceFile] = []
    for source in sources:
        found = cache.get(source.path, source.source) if cache is not None else None
        if found is None:
            todo.append(source)
        else:
            facts[source.path] = found
    workers = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD:
        facts.update(_extract_shared(todo, workers, interest, cache))
    else:
        for source in todo:
            facts[source.path] = _extracted(source, interest, cache)
    return dict(sorted(facts.items(), key=_path_text))  # str: Path comparisons are slow


def _path_text(item: tuple[Path, FileFacts]) -> str:
    return str(item[0])


def _extracted(source: SourceFile, interest: Interest | None,
               cache: FactsCache | None) -> FileFacts:
    facts = extract_file(source.path, source.source, interest)
    if cache is not None:
        cache.put(facts)
    return facts


# An extraction in progress, inherited by forked workers so that only indices and records
# travel between processes, never the sources: the files, the order in which they are
# taken (largest first), and a counter in shared memory, the next place in that order.
_SHARED: list[SourceFile] = []
_ORDER: list[int] = []
_NEXT: Any = None  # multiprocessing.Value("l")


_TAKE_TIMEOUT = 10.0  # seconds: a process killed while taking holds the counter's lock


def _take() -> int:
    """The index of the next file no process has taken yet, or -1 when none is left (or
    the counter stays locked: its holder was killed; the files left are then extracted by
    this process once the workers are done)."""
    lock = _NEXT.get_lock()
    if not lock.acquire(timeout=_TAKE_TIMEOUT):
        return -1
    try:
        place = _NEXT.value
        _NEXT.value = place + 1
    finally:
        lock.release()
    return _ORDER[place] if place < len(_ORDER) else -1


def _extract_records(interest: Interest | None) -> list[tuple[int, Record]]:
    """Worker side: take files until none is left; their records travel back."""
    sources = _SHARED
    records = []
    while (i := _take()) >= 0:
        records.append((i, to_record(extract_file(sources[i].path, sources[i].source,
                                                  interest))))
    return records


def _extract_shared(sources: list[SourceFile], workers: int, interest: Interest | None,
                    cache: FactsCache | None) -> dict[Path, FileFacts]:
    """Extract with `workers` processes: this one and `workers - 1` forked ones (tree-sitter
    holds the GIL while parsing). Every process takes the next file from one shared queue,
    largest first, so all finish together; this process makes facts directly while the
    others send records. Files a worker took but never returned (it could not be started,
    or died) are extracted here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SHARED, _ORDER, _NEXT
    parse(b"")  # load the grammar before forking: every worker inherits it
    context = multiprocessing.get_context("fork")
    _SHARED = sources
    _ORDER = sorted(range(len(sources)), key=lambda i: len(sources[i].source), reverse=True)
    _NEXT = context.Value("l", 0)
    facts: dict[Path, FileFacts] = {}
    # Objects that exist now stay out of the workers' collections: a collection touching
    # them would copy every page the worker shares with this process (about 1.7x the time).
    gc.freeze()
    pool: ProcessPoolExecutor | None = None
    futures: list[Future[list[tuple[int, Record]]]] = []
    try:
        try:
            pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context)
            futures = [pool.submit(_extract_records, interest) for _ in range(workers - 1)]
        except OSError:  # fork refused (process limits)
            futures = []
        done = set()
        while (i := _take()) >= 0:
            facts[sources[i].path] = _extracted(sources[i], interest, cache)
            done.add(i)
        for future in futures:
            for i, record in _result(future) or ():  # none: the worker died
                source = sources[i]
                facts[source.path] = fact = from_record(record, source.path, source.source)
                if cache is not None:
                    cache.put(fact, record)
                done.add(i)
        for i in _ORDER:
            if i not in done:  # taken by a worker that died
                facts[sources[i].path] = _extracted(sources[i], interest, cache)
    finally:
        _SHARED, _ORDER, _NEXT = [], [], None
        gc.unfreeze()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return facts


def _result(future: Future[list[tuple[int, Record]]]) -> list[tuple[int, Record]] | None:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except (BrokenProcessPool, OSError):
        return None


@functools.cache
def _import_target_file(target: Path) -> Path:
    """The file an import means (`./dir` → `./dir/default.nix`), canonical. Import targets
    are already resolved, so only `default.nix` may still be a symlink. Cached for one
    build (the graph asks for each target several times)."""
    if os.path.isdir(target):
        return Path(os.path.realpath(os.path.join(target, "default.nix")))
    return target


def _follow_imports(facts: dict[Path, FileFacts], diagnostics: list[Diagnostic],
                    interest: Interest | None, cache: FactsCache | None) -> None:
    """Read files that are imported but were not among the given paths."""
    pending = deque(facts.values())
    while pending:
        fact = pending.popleft()
        for ref in fact.imports:
            target = _import_target_file(ref.target)
            if target in facts or not target.is_file():
                continue
            source, problem = read_source(target)
            if problem is not None:
                diagnostics.append(problem)
                continue
            if source is not None and source.path not in facts:
                found = cache.get(source.path, source.source) if cache is not None else None
                facts[source.path] = found = found or _extracted(source, interest, cache)
                pending.append(found)


def _assign_contexts(facts: dict[Path, FileFacts]) -> dict[Path, Context]:
    contexts: dict[Path, Context] = {}
    imported = {_import_target_file(r.target) for f in facts.values() for r in f.imports}
    queue: deque[Path] = deque()
    for path, fact in facts.items():
        if fact.is_flake:
            contexts[path] = Context.FLAKE
            queue.append(path)
    # nix-darwin's stateVersion is a number, NixOS's a "YY.MM" string: a sure sign.
    for path, fact in facts.items():
        if path not in contexts and any(
                o.path == ("system", "stateVersion") and type(o.literal) is int
                for o in fact.options):
            contexts[path] = Context.DARWIN
            queue.append(path)
    # Explicit contexts next (module lists of nixosSystem/homeManagerConfiguration,
    # home-manager.users.<name>), so that heuristics never override them.
    for fact in facts.values():
        for ref in fact.imports:
            target = _import_target_file(ref.target)
            if ref.context is not Context.UNKNOWN and target in facts and target not in contexts:
                contexts[target] = ref.context
                queue.append(target)
    for path, fact in facts.items():
        if path not in contexts and path not in imported:
            contexts[path] = _guess_context(fact)
            queue.append(path)
    _propagate(facts, contexts, queue)
    for path, fact in facts.items():  # files reachable only through cycles
        if path not in contexts:
            contexts[path] = _guess_context(fact)
            _propagate(facts, contexts, deque([path]))
    return contexts


def _propagate(facts: dict[Path, FileFacts], contexts: dict[Path, Context],
               queue: deque[Path]) -> None:
    while queue:
        path = queue.popleft()
        for ref in facts[path].imports:
            target = _import_target_file(ref.target)
            if target not in facts or target in contexts:
                continue
            inherited = contexts[path]
            contexts[target] = ref.context if ref.context is not Context.UNKNOWN else (
                inherited if inherited not in (Context.FLAKE, Context.UNKNOWN)
                else _guess_context(facts[target]))
            queue.append(target)


def _guess_context(fact: FileFacts) -> Context:
    """For a file no known module imports: a `darwin` directory (nix-darwin modules share
    most top-level names with NixOS), then what it defines, then its name."""
    if any("darwin" in part.lower() for part in fact.path.parts[-3:-1]):
        return Context.DARWIN
    nixos = home = 0
    for root in fact.top_roots:
        if root in _NIXOS_ROOTS:
            nixos += 1
        elif root in _HM_ROOTS:
            home += 1
    if home > nixos:
        return Context.HOME_MANAGER
    if nixos > home:
        return Context.NIXOS
    parts = {p.lower() for p in fact.path.parts[-3:-1]}
    if fact.path.name == "home.nix" or "home" in parts or "home-manager" in parts:
        return Context.HOME_MANAGER
    if fact.path.name in ("configuration.nix", "hardware-configuration.nix") or fact.top_roots:
        return Context.NIXOS
    return Context.UNKNOWN


def _file_model(fact: FileFacts, context: Context) -> FileModel:
    values: list[OptionDef | PackageRef | ReadRef] = [*fact.options, *fact.packages,
                                                       *fact.reads]
    for value in values:
        if value.context is Context.UNKNOWN:
            set_context(value, context)
    return FileModel(
        path=fact.path,
        source=fact.source,
        context=context,
        options=fact.options,
        packages=fact.packages,
        reads=fact.reads,
        flake_inputs=fact.flake_inputs,
        fetched=fact.fetched,
    )


def _import_problems(facts: dict[Path, FileFacts]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    edges: dict[Path, list[tuple[Path, ImportRef]]] = {}
    for path, fact in facts.items():
        for ref in fact.imports:
            target = _import_target_file(ref.target)
            if not target.exists():
                what = f"{ref.target}/default.nix" if ref.target.is_dir() else str(ref.target)
                problems.append(Diagnostic("missing-import", f"import points nowhere: {what}",
                                           path, ref.pos))
            else:
                edges.setdefault(path, []).append((target, ref))
    problems.extend(_cycles(edges))
    return problems


def _cycles(edges: dict[Path, list[tuple[Path, ImportRef]]]) -> list[Diagnostic]:
    """One diagnostic per import that closes a cycle (iterative DFS)."""
    white, grey, black = 0, 1, 2
    color: dict[Path, int] = {}
    problems: list[Diagnostic] = []
    for start in sorted(edges):
        if color.get(start, white) != white:
            continue
        stack: list[tuple[Path, int]] = [(start, 0)]
        trail: list[Path] = [start]
        color[start] = grey
        while stack:
            node, index = stack[-1]
            out = edges.get(node, [])
            if index >= len(out):
                color[node] = black
                stack.pop()
                trail.pop()
                continue
            stack[-1] = (node, index + 1)
            target, ref = out[index]
            state = color.get(target, white)
            if state == grey:
                loop = [*trail[trail.index(target):], target]
                names = " → ".join(p.name for p in loop)
                problems.append(Diagnostic("import-cycle", f"import cycle: {names}", node,
                                           ref.pos))
            elif state == white:
                color[target] = grey
                stack.append((target, 0))
                trail.append(target)
    return problems


def _read_lock(path: Path, diagnostics: list[Diagnostic]) -> list[LockedInput]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_bytes())
        nodes = data["nodes"]
        root_inputs = nodes[data.get("root", "root")].get("inputs", {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        diagnostics.append(Diagnostic("bad-lock", f"cannot read flake.lock ({reason})", path))
        return []
    locked = []
    for name, node_name in root_inputs.items():
        if not isinstance(node_name, str) or not isinstance(nodes.get(node_name), dict):
            continue
        original = nodes[node_name].get("original", {})
        if not isinstance(original, dict):
            continue
        owner_repo: str | None = None
        ref = original.get("ref")
        if original.get("type") == "github" and "owner" in original and "repo" in original:
            owner_repo = f"{original['owner']}/{original['repo']}"
        elif "url" in original:
            owner_repo, url_ref = parse_flake_url(str(original["url"]))
            ref = ref or url_ref
        locked_url = nodes[node_name].get("locked", {})
        locked_url = locked_url.get("url") if isinstance(locked_url, dict) else None
        locked_ref = parse_flake_url(locked_url)[1] if isinstance(locked_url, str) else None
        locked.append(LockedInput(name, owner_repo, ref if isinstance(ref, str) else None, path,
                                  locked_ref))
    return locked
