"""Analysis: configuration model x release knowledge → findings."""
