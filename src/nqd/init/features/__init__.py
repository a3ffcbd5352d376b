"""One small module per feature; each turns the profile into `Contribution`s."""

from __future__ import annotations

from nqd.init.features import containers, desktop, dev, extras, hardware, python_ml, system
from nqd.init.features.base import Contribution
from nqd.init.profile import Profile


def contributions(profile: Profile) -> list[Contribution]:
    """Every feature's contribution, in a fixed order (the order of the imports list)."""
    out: list[Contribution] = [desktop.contribute(profile)]
    out += hardware.contribute(profile)
    out += system.contribute(profile)
    out.append(containers.contribute(profile))
    out.append(python_ml.contribute(profile))
    out += dev.contribute(profile)
    out += extras.contribute(profile)
    return out
