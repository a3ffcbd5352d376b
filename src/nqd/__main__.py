from nqd.cli import entry

entry()
