def keep_open(path):
    """Opens `path` and drops it in a reference cycle: only a garbage collection closes it."""

    class Holder:
        pass

    holder = Holder()
    holder.itself = holder
    holder.file = open(path, "rb")  # noqa: SIM115 - left open on purpose
    return True
