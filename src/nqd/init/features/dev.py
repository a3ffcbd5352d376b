"""Developer tool sets (system packages), editors, git and the shell (Home Manager)."""

from __future__ import annotations

from nqd.init.features.base import Contribution, Entry, NixModule, attrs, opt
from nqd.init.profile import Profile
from nqd.nix.emit import Raw, With

TOOLSETS = {
    "base": ("git", "curl", "wget", "jq", "ripgrep", "fd", "htop", "tmux", "tree", "unzip"),
    "c": ("gcc", "gnumake", "cmake", "gdb", "pkg-config"),
    "rust": ("rustup",),
    "go": ("go", "gopls"),
    "node": ("nodejs", "pnpm"),
    "python": ("uv", "ruff"),
    "nix": ("nil", "nixd", "nix-tree"),
}


def _devtools(profile: Profile) -> Contribution:
    if not profile.toolsets:
        return Contribution()
    names: list[str] = []
    for toolset in profile.toolsets:
        names += [n for n in TOOLSETS[toolset] if n not in names]
    body = attrs((opt("environment.systemPackages"), With("pkgs", [Raw(n) for n in names])))
    return Contribution(nixos=(NixModule("modules/dev/devtools.nix",
                                         "Developer tools: " + ", ".join(profile.toolsets) + ".",
                                         body, ("pkgs",)),))


def _editors(profile: Profile) -> Contribution:
    if not profile.editors:
        return Contribution()
    entries: list[Entry] = []
    for editor in profile.editors:
        if editor == "neovim":
            entries.append((opt("programs.neovim"), attrs(
                ("enable", True), ("defaultEditor", profile.editors[0] == "neovim"),
                ("vimAlias", True))))
        else:
            entries.append((opt(f"programs.{editor}.enable"), True))
    unfree = ("Visual Studio Code",) if "vscode" in profile.editors else ()
    return Contribution(home=(NixModule("home/modules/editors.nix",
                                        "Editors: " + ", ".join(profile.editors) + ".",
                                        attrs(*entries)),), unfree=unfree)


def _git(profile: Profile) -> Contribution:
    settings: list[Entry] = []
    user: list[Entry] = []
    if profile.git_name:
        user.append(("name", profile.git_name))
    if profile.git_email:
        user.append(("email", profile.git_email))
    if user:
        settings.append(("user", attrs(*user)))
    settings += [(opt("init.defaultBranch"), "main"), (opt("pull.rebase"), True)]
    entries: list[Entry] = [(opt("programs.git"), attrs(
        ("enable", True), ("settings", attrs(*settings))))]
    if profile.git_delta:
        entries.append((opt("programs.delta"), attrs(("enable", True),
                                                     ("enableGitIntegration", True))))
    return Contribution(home=(NixModule("home/modules/git.nix", "Git.", attrs(*entries)),))


def _shell(profile: Profile) -> Contribution:
    nixos: list[NixModule] = []
    if profile.shell != "bash":
        nixos.append(NixModule(
            "modules/shell.nix", f"Login shell: {profile.shell}.",
            attrs((opt(f"programs.{profile.shell}.enable"), True),
                  ((*opt("users.users"), profile.user, "shell"), Raw(f"pkgs.{profile.shell}"))),
            ("pkgs",)))
    home = NixModule("home/modules/shell.nix", f"Shell: {profile.shell}.",
                     attrs((opt(f"programs.{profile.shell}.enable"), True),
                           (opt("programs.direnv"), attrs(
                               ("enable", True), (opt("nix-direnv.enable"), True)))))
    return Contribution(nixos=tuple(nixos), home=(home,))


def contribute(profile: Profile) -> tuple[Contribution, ...]:
    return (_devtools(profile), _shell(profile), _git(profile), _editors(profile))
