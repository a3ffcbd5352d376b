"""The Python AI/ML environment: `python3.withPackages`, CUDA builds with an NVIDIA GPU."""

from __future__ import annotations

from nqd.init.features.base import Contribution, NixModule, attrs, opt
from nqd.init.profile import Profile
from nqd.nix.emit import Apply, Comment, Lambda, Let, Raw, With


def contribute(profile: Profile) -> Contribution:
    if not profile.python:
        return Contribution()
    packages = Lambda("ps", With("ps", [Raw(name) for name in profile.python_packages]))
    if not profile.cuda:
        env = Apply("pkgs.python3.withPackages", (packages,))
        body = attrs((opt("environment.systemPackages"), [env]))
        return Contribution(nixos=(NixModule("modules/dev/python-ml.nix",
                                             "Python AI/ML environment.", body, ("pkgs",)),))
    cuda_pkgs = Apply("import", (Raw("pkgs.path"), attrs(
        ("system", Raw("pkgs.stdenv.hostPlatform.system")),
        ("config", attrs(("allowUnfree", True), ("cudaSupport", True))),
    )))
    with_cuda = Let({"cudaPkgs": cuda_pkgs}, attrs(
        (Comment("CUDA builds only for this environment, not for the whole system."), None),
        (opt("environment.systemPackages"),
         [Apply("cudaPkgs.python3.withPackages", (packages,))]),
    ))
    return Contribution(
        nixos=(NixModule("modules/dev/python-ml.nix", "Python AI/ML environment (CUDA).",
                         with_cuda, ("pkgs",)),),
        unfree=("CUDA",),
    )
