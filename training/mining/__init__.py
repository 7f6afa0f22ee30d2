"""Mining real fixes from the git history of public Python repositories.

A bare git directory goes in; small, parseable, single-hunk fixes come out, each with its enclosing
function before and after and a token-level edit script (`align`). Per-repository results are
cached (`cache`), so the corpus (`corpus`: dedupe, split by repository, write) rebuilds in seconds.
"""
