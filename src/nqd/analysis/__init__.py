"""Analysis: configuration model × release knowledge → findings."""
