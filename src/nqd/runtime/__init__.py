"""The runtime half: everything with side effects on the machine goes through `host`."""
