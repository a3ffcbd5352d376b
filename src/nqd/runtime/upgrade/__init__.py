"""`nqd upgrade` and `nqd rollback`: phases over a journal, on any host behind the host seam."""
