# Rootless Podman running the local AI stack (inference server, PostgreSQL + TimescaleDB,
# Redis) as user hyperd. Secrets come from files outside the Nix store.
{ config, lib, pkgs, ... }:

{
  virtualisation.podman = {
    enable = true;
    dockerCompat = true;
    defaultNetwork.settings.dns_enabled = true;
  };

  users.users.hyperd.linger = true;

  virtualisation.oci-containers = {
    backend = "podman";
    containers = {
      lemonade = {
        image = "ghcr.io/lemonade-sdk/lemonade-server:v8.1.0";
        podman.user = "hyperd";
        ports = [ "127.0.0.1:8000:8000" ];
        volumes = [ "/home/hyperd/.cache/huggingface:/models:ro" ];
      };
      mcp-postgres = {
        image = "docker.io/timescale/timescaledb-ha:pg16";
        podman.user = "hyperd";
        ports = [ "127.0.0.1:5432:5432" ];
        environment = {
          POSTGRES_DB = "mcp";
          POSTGRES_USER = "mcp";
        };
        environmentFiles = [ "/home/hyperd/.config/ai-stack/postgres.env" ];
        volumes = [ "/home/hyperd/.local/share/ai-stack/postgres:/home/postgres/pgdata" ];
      };
      mcp-redis = {
        image = "docker.io/library/redis:7.4-alpine";
        podman.user = "hyperd";
        ports = [ "127.0.0.1:6379:6379" ];
        cmd = [ "redis-server" "--appendonly" "yes" ];
      };
    };
  };

  # The host's own PostgreSQL for the knowledge service (AIDB).
  services.postgresql = {
    enable = true;
    ensureDatabases = [ "aidb" ];
  };
}
