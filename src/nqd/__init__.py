"""nixos-quick-deploy: readiness checks, migrations, backups and guarded upgrades for NixOS."""

__version__ = "0.1.0"
