{ config, lib, pkgs, ... }:

let
  python = pkgs.python3.withPackages (ps: with ps; [
    numpy
    pandas
    torch
    transformers
    langchain
    langchain-core
    jupyterlab
  ]);
in
{
  environment.systemPackages = [
    python
    pkgs.nodejs_22
    pkgs.gcc
    pkgs.cmake
  ];

  environment.variables.NQD_PLATFORM = pkgs.system;
}
