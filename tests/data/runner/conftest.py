# The projects here are inputs to the runner tests, not part of this suite.
collect_ignore_glob = ["*"]
