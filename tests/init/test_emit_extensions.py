"""The emitter features nqd init added: one-argument lambdas, function bodies inside
attrsets, functions without formals. Checked with nix-instantiate when present."""

from __future__ import annotations

import pytest

from nqd.nix.emit import Apply, AttrSet, Function, Lambda, Raw, With, emit
from nqd.nix.parser import parse
from nqd.runtime.host import LocalHost


def test_lambda_in_an_application_is_parenthesised() -> None:
    value = Apply("pkgs.python3.withPackages", (Lambda("ps", With("ps", [Raw("numpy")])),))
    assert emit(value) == "pkgs.python3.withPackages (ps: with ps; [ numpy ])"


def test_lambda_rejects_a_non_identifier() -> None:
    with pytest.raises(ValueError, match="identifier"):
        emit(Lambda("a b", 1))
    with pytest.raises(ValueError, match="identifier"):
        emit(Lambda("let", 1))


def test_function_without_formals_and_nested_function() -> None:
    assert emit(Function((), AttrSet(()))) == "{ ... }:\n{ }"
    assert emit(Function((), 1, ellipsis=False)) == "{ }: 1"
    nested = AttrSet((("outputs", Function(("self",), AttrSet((("a", 1),)))),))
    text = emit(nested)
    assert text == "{\n  outputs = { self, ... }:\n  {\n    a = 1;\n  };\n}"
    assert not parse(text.encode()).has_errors
    host = LocalHost()
    if host.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate is not installed")
    result = host.run(["nix-instantiate", "--parse", "-E", text])
    assert result.ok, result.stderr
