"""Health checks whose results can be saved as a baseline and compared after a change."""
