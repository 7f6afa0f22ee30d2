# The projects here are inputs to the repair tests, not part of this suite.
collect_ignore_glob = ["*"]
