"""The configuration model on tricky layouts: nested vs dotted, mk* wrappers, full-form
modules, Home Manager as a NixOS module and standalone, `with pkgs;` scopes."""

from __future__ import annotations

from pathlib import Path

from nqd.model.builder import build_model
from nqd.model.types import Context
from tests.check.helpers import write_tree


def paths(model, context=None):  # type: ignore[no-untyped-def]
    return {o.dotted for o in model.options(context)}


def test_nested_and_dotted_definitions_have_the_same_full_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"configuration.nix": """
        { ... }: {
          services.xserver.desktopManager.gnome.enable = true;
          services = { xserver = { displayManager.gdm = { enable = true; }; }; };
          system.stateVersion = "25.05";
        }
    """})
    found = paths(build_model([tmp_path]), Context.NIXOS)
    assert "services.xserver.desktopManager.gnome.enable" in found
    assert "services.xserver.displayManager.gdm.enable" in found


def test_covers_marks_the_binding_where_a_path_is_written(tmp_path: Path) -> None:
    write_tree(tmp_path, {"configuration.nix": """
        { ... }: { services = { xserver.desktopManager = { gnome.enable = true; }; }; }
    """})
    model = build_model([tmp_path])
    prefix = ("services", "xserver", "desktopManager", "gnome")
    covering = [o.dotted for o in model.options() if o.covers(prefix)]
    assert covering == ["services.xserver.desktopManager.gnome.enable"]


def test_mk_wrappers_and_full_form_modules_are_unwrapped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"configuration.nix": """
        { config, lib, ... }:
        let cfg = config.my; in {
          options.my.enable = lib.mkEnableOption "mine";
          config = lib.mkIf cfg.enable (lib.mkMerge [
            { services.logind.extraConfig = "IdleAction=lock"; }
            (lib.mkIf true { boot.kernelPackages = lib.mkForce null; })
            { networking.hostName = lib.mkOverride 50 "x"; }
          ]);
        }
    """})
    model = build_model([tmp_path])
    by_path = {o.dotted: o for o in model.options(Context.NIXOS)}
    assert "services.logind.extraConfig" in by_path
    assert by_path["boot.kernelPackages"].wrappers[-1] == "mkForce"
    assert by_path["networking.hostName"].literal == "x"
    assert not any(p.startswith("my.") or p.startswith("options") for p in by_path)


def test_home_manager_as_nixos_module_in_every_form(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "configuration.nix": """
            { pkgs, ... }: {
              imports = [ ./users ];
              home-manager.users.alice = { pkgs, ... }: { programs.git.userName = "A"; };
              home-manager.users.bob = import ./bob.nix;
              home-manager.users.carol.programs.git.userEmail = "c@example.org";
              home-manager.sharedModules = [ ./shared.nix ];
              system.stateVersion = "25.05";
            }
        """,
        "bob.nix": "{ ... }: { imports = [ ./bob-extra.nix ]; programs.zsh.enable = true; }",
        "bob-extra.nix": "{ ... }: { programs.git.aliases.co = \"checkout\"; }",
        "shared.nix": "{ ... }: { programs.git.extraConfig.pull.rebase = true; }",
        "users/default.nix": "{ ... }: { users.users.alice.isNormalUser = true; }",
    })
    model = build_model([tmp_path / "configuration.nix"])
    home = paths(model, Context.HOME_MANAGER)
    nixos = paths(model, Context.NIXOS)
    assert {"programs.git.userName", "programs.zsh.enable", "programs.git.userEmail",
            "programs.git.aliases.co", "programs.git.extraConfig.pull.rebase"} <= home
    assert "users.users.alice.isNormalUser" in nixos
    assert not any(p.startswith("home-manager.users") for p in nixos)


def test_standalone_home_manager_from_flake(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "flake.nix": """
            {
              inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
              inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
              outputs = { nixpkgs, home-manager, ... }: {
                homeConfigurations.me = home-manager.lib.homeManagerConfiguration {
                  modules = [ ./profile.nix { programs.git.userName = "inline"; } ];
                };
                nixosConfigurations.box = nixpkgs.lib.nixosSystem {
                  modules = [ ./machine.nix ];
                };
              };
            }
        """,
        # Names and contents that would guess wrong: the flake's module lists decide.
        "profile.nix": "{ ... }: { services.gpg-agent.enable = true; }",
        "machine.nix": "{ ... }: { services.openssh.enable = true; }",
    })
    model = build_model([tmp_path])
    by_path = {o.dotted: o.context for o in model.options()}
    assert by_path["services.gpg-agent.enable"] is Context.HOME_MANAGER
    assert by_path["programs.git.userName"] is Context.HOME_MANAGER
    assert by_path["services.openssh.enable"] is Context.NIXOS


def test_package_references_in_lists_with_scopes_and_python_sets(tmp_path: Path) -> None:
    write_tree(tmp_path, {"configuration.nix": """
        { pkgs, lib, ... }:
        let mine = pkgs.hello; in {
          environment.systemPackages = with pkgs; [
            git mine lib.foo
            python3Packages.requests
            (python3.withPackages (ps: with ps; [ pytorch numpy ]))
          ] ++ [ pkgs.noto-fonts-emoji pkgs.python312Packages.pandas ];
          fonts.packages = [ pkgs.fira-code ];
          home-manager.users.me.home.packages = with pkgs; [ ripgrep ];
          environment.variables.P = pkgs.system;
          environment.variables.Q = "${pkgs.systemd}/bin";
        }
    """})
    model = build_model([tmp_path])
    attrs = {p.attr for p in model.packages()}
    assert {"git", "hello", "python3Packages.requests", "python3", "python3Packages.pytorch",
            "python3Packages.numpy", "noto-fonts-emoji", "python312Packages.pandas",
            "fira-code", "ripgrep", "systemd"} <= attrs
    assert "mine" not in attrs and "lib.foo" not in attrs and "lib" not in attrs
    contexts = {p.attr: p.context for p in model.packages()}
    assert contexts["ripgrep"] is Context.HOME_MANAGER
    reads = {(r.kind, r.path) for r in model.reads()}
    assert ("pkgs", ("system",)) in reads
    assert not any(path[:1] == ("systemd",) for kind, path in reads if kind == "pkgs")


def test_config_reads_and_flake_inputs(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "flake.nix": """
            {
              inputs = {
                nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
                home-manager = { url = "github:nix-community/home-manager?ref=release-25.05"; };
                other.url = "git+https://github.com/NixOS/nixpkgs?ref=nixpkgs-25.05";
              };
              outputs = _: { };
            }
        """,
        "m.nix": "{ config, ... }: { x.y = config.services.xserver.enable; }",
    })
    model = build_model([tmp_path])
    inputs = {i.name: (i.owner_repo, i.ref) for i in model.flake_inputs()}
    assert inputs == {
        "nixpkgs": ("NixOS/nixpkgs", "nixos-25.05"),
        "home-manager": ("nix-community/home-manager", "release-25.05"),
        "other": ("NixOS/nixpkgs", "nixpkgs-25.05"),
    }
    assert ("config", ("services", "xserver", "enable")) in {(r.kind, r.path)
                                                              for r in model.reads()}


def test_only_real_pkgs_and_config_selects_are_references(tmp_path: Path) -> None:
    """`pkgs`/`config` found as words: strings, comments, attribute names and look-alike
    identifiers (`xpkgs`, `pkgs'`, `my-config`) are not references; `with`/`inherit` as
    text are not scopes. Selects come in source order."""
    write_tree(tmp_path, {"configuration.nix": """
        { config, pkgs, xpkgs, my-config, ... }:
        # pkgs.commented and config.commented are comments
        let pkgs' = pkgs; in {
          a.b = "pkgs.in-a-string ${pkgs.interpolated} config.in.string";
          c.pkgs.d = xpkgs.lookalike;
          e = my-config.lookalike;
          f = pkgs'.primed;
          g = x.config.attr;
          h = "with pkgs; inherit (pkgs) fake;";
          i = [ pkgs.zz-last-name pkgs.aa-first-name ];
          j = config.services.real.enable;
          inherit (pkgs) inherited;
          k = with pkgs; [ scoped ];
        }
    """})
    model = build_model([tmp_path])
    attrs = [p.attr for p in model.packages()]
    assert sorted(attrs) == ["aa-first-name", "inherited", "interpolated", "scoped",
                             "zz-last-name"]
    assert attrs.index("interpolated") < attrs.index("zz-last-name") \
        < attrs.index("aa-first-name")
    assert [(r.kind, r.path) for r in model.reads()] == [
        ("config", ("services", "real", "enable"))]


def test_directory_imports_resolve_to_default_nix_and_files_outside_are_followed(
        tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "host/configuration.nix": "{ ... }: { imports = [ ../modules ]; }",
        "modules/default.nix": "{ ... }: { imports = [ ./x.nix ]; }",
        "modules/x.nix": "{ ... }: { boot.loader.grub.enable = false; }",
    })
    model = build_model([tmp_path / "host"])
    assert "boot.loader.grub.enable" in paths(model, Context.NIXOS)
    assert not model.diagnostics


def test_a_module_in_a_darwin_directory_that_nothing_imports_is_nix_darwin(
        tmp_path: Path) -> None:
    """nix-darwin modules share `networking`, `system`, `services` with NixOS; auto-wired
    layouts (configurations/darwin/<host>/) import them from no file nqd reads."""
    write_tree(tmp_path, {
        "configurations/darwin/mac/default.nix":
            "{ ... }: { networking.hostName = \"mac\"; system.stateVersion = 4; }\n",
        "configurations/nixos/box/default.nix":
            "{ ... }: { networking.hostName = \"box\"; system.stateVersion = \"25.05\"; }\n",
    })
    model = build_model([tmp_path])
    contexts = {p.parent.name: f.context for p, f in model.files.items()}
    assert contexts == {"mac": Context.DARWIN, "box": Context.NIXOS}


def test_a_module_imported_by_a_file_of_imports_only_takes_its_own_context(
        tmp_path: Path) -> None:
    """`hw/default.nix` holds nothing but `imports`, so nothing says what it is: the
    modules it imports are judged by what they define, not left unknown (a field-test
    configuration lost its hardware module's findings this way)."""
    write_tree(tmp_path, {
        "hw/default.nix": "{ ... }: { imports = [ ./hardware.nix ]; }",
        "hw/hardware.nix": "{ ... }: { boot.initrd.availableKernelModules = [ \"xhci_pci\" ];"
                           " services.logind.lidSwitch = \"suspend\"; }",
    })
    model = build_model([tmp_path / "hw"])
    assert model.files[(tmp_path / "hw" / "hardware.nix").resolve()].context is Context.NIXOS


def test_a_numeric_system_state_version_makes_a_module_nix_darwin(tmp_path: Path) -> None:
    """Wherever it lives: `system.stateVersion = 5;` cannot be NixOS (a "YY.MM" string)."""
    write_tree(tmp_path, {
        "machines/macbook.nix": "{ ... }: { imports = [ ./shared.nix ]; "
                                "networking.hostName = \"mbp\"; system.stateVersion = 5; }\n",
        "machines/shared.nix": "{ ... }: { services.openssh.enable = true; }\n",
        "machines/box.nix": "{ ... }: { system.stateVersion = \"25.05\"; }\n",
    })
    model = build_model([tmp_path])
    contexts = {p.name: f.context for p, f in model.files.items()}
    assert contexts == {"macbook.nix": Context.DARWIN, "shared.nix": Context.DARWIN,
                        "box.nix": Context.NIXOS}


def test_arguments_of_a_callpackage_file_are_package_references(
        tmp_path: Path, kb_dir: Path) -> None:
    """`{ lib, stdenv, noto-fonts-emoji }:` is filled by name from pkgs: the argument names
    a package (a real configuration's callPackage'd script used wrapGAppsHook this way).
    A module's arguments (`config`, `pkgs`, ...) are not packages."""
    from nqd.analysis.engine import run_check
    from nqd.releases import Release

    write_tree(tmp_path, {
        "configuration.nix": "{ pkgs, ... }: { environment.systemPackages = "
                             "[ (pkgs.callPackage ./fonts.nix { }) ]; }\n",
        "fonts.nix": "{ lib, stdenvNoCC, noto-fonts-emoji }:\n"
                     "stdenvNoCC.mkDerivation {\n  name = \"f\";\n"
                     "  buildInputs = [ noto-fonts-emoji ];\n}\n",
        "module.nix": "{ config, noto-fonts-emoji, ... }: { }\n",
    })
    result = run_check([tmp_path], Release.parse("25.05"), Release.parse("25.11"))
    found = [(f.rule, f.pos.path.name, f.pos.line, f.pos.column, f.fixable)
             for f in result.findings if f.rule == "NQD201"]
    assert found == [("NQD201", "fonts.nix", 1, 20, False)]
    note = next(f.fix_note for f in result.findings if f.rule == "NQD201")
    assert note is not None and "rename the argument and its uses" in note


def test_building_a_model_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    """Extraction pauses the cycle collector; it must come back on, and stay off for a
    caller that had turned it off."""
    import gc

    from nqd.model.facts_cache import FactsCache

    tree = tmp_path / "tree"
    write_tree(tree, {"configuration.nix": "{ pkgs, ... }: { a.b = pkgs.hello; }"})
    for _ in range(2):  # the second build reads the facts cache the first one wrote
        assert gc.isenabled()
        build_model([tree], cache=FactsCache.open([tree], None, tmp_path / "cache"))
        assert gc.isenabled()
    gc.disable()
    try:
        build_model([tree], cache=FactsCache.open([tree], None, tmp_path / "cache"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_inherit_that_names_nothing_is_valid_nix(tmp_path: Path) -> None:
    """`inherit (import ./v.nix);` and `inherit;` parse in Nix; tree-sitter-nix's grammar
    wants a name and marked the file broken, hiding its findings (field test)."""
    write_tree(tmp_path, {
        "configuration.nix": "let\n  inherit (import ./v.nix);\nin { inherit; "
                             'services.logind.lidSwitch = "ignore"; }\n',
        "broken.nix": "{ inherit (x) ; a = ; }\n",  # a real error next to one still counts
    })
    model = build_model([tmp_path])
    errors = {(d.path.name, d.pos.column if d.pos else 0, d.message)
              for d in model.diagnostics if d.code == "syntax-error"}
    assert errors == {("broken.nix", 20, "syntax error: missing 'identifier'")}  # `a = ;`
    options = model.files[(tmp_path / "configuration.nix").resolve()].options
    assert [o.dotted for o in options] == ["services.logind.lidSwitch"]


def test_modules_defined_as_flake_outputs_and_flake_parts_modules_have_their_context(
        tmp_path: Path) -> None:
    """`nixosModules.<n>`, `homeModules.<n>`, `darwinModules.<n>` in a flake's outputs,
    and flake-parts' `flake.modules.<class>.<n>` in any module, are modules of that
    system; their options went unseen before (field test: a "dendritic" configuration)."""
    write_tree(tmp_path, {
        "flake.nix": """
            {
              inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
              outputs = { self, nixpkgs }: let x = 1; in {
                nixosModules.desktop = { pkgs, ... }: { services.a.enable = true; };
                homeModules = { git = { programs.b.enable = true; }; };
                darwinModules.default = ./darwin.nix;
              };
            }
        """,
        "darwin.nix": "{ ... }: { services.c.enable = true; }",
        "parts/gnome.nix": """
            { inputs, ... }: {
              flake.modules.nixos.gnome = { pkgs, ... }: { services.d.enable = true; };
              flake.modules.homeManager.git = { programs.e.enable = true; };
              perSystem = { pkgs, ... }: { packages.f = pkgs.hello; };
            }
        """,
    })
    model = build_model([tmp_path])
    contexts = {o.dotted: o.context for o in model.options()
                if o.dotted.endswith(".enable")}
    assert contexts == {"services.a.enable": Context.NIXOS,
                        "programs.b.enable": Context.HOME_MANAGER,
                        "services.c.enable": Context.DARWIN,
                        "services.d.enable": Context.NIXOS,
                        "programs.e.enable": Context.HOME_MANAGER}
