"""Containers: read compose files and podman units into a neutral spec, emit a NixOS
module for `virtualisation.oci-containers`, parse image references, migrate databases."""
