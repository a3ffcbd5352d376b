"""The Nix grammar is loaded without importing tree-sitter-language-pack's package (which
imports three unrelated grammars first), and is the same grammar the package gives."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nqd.nix import parser

SOURCE = b"{ pkgs, lib, ... }: { imports = [ ./a.nix ]; services.x.enable = lib.mkIf true 1; }"


def test_the_grammar_loaded_by_file_parses_as_the_package_grammar() -> None:
    from tree_sitter import Parser
    from tree_sitter_language_pack import get_language

    ours = parser.parse(SOURCE).root
    theirs = Parser(get_language("nix")).parse(SOURCE).root_node
    assert str(ours) == str(theirs)
    assert not ours.has_error


def test_a_check_process_does_not_import_the_language_pack() -> None:
    code = ("import sys; from nqd.nix.parser import parse; parse(b'{ a = 1; }'); "
            "print('tree_sitter_language_pack' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_the_package_loader_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def moved() -> object:
        calls.append(1)
        raise ImportError("the binding moved")

    monkeypatch.setattr(parser, "_load_nix_binding", moved)
    parser._language.cache_clear()
    parser._parser.cache_clear()
    try:
        root = parser.parse(SOURCE).root
        assert calls and not root.has_error
        assert root.child_by_field_name("expression").type == "function_expression"
    finally:
        parser._language.cache_clear()
        parser._parser.cache_clear()
