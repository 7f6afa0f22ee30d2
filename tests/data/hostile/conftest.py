# The projects here are inputs to the hostile-project tests, not part of this suite.
collect_ignore_glob = ["*"]
