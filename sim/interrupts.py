"""Termination signals, recorded by the handler and acted on where the code checks.

Kept apart from ``sim.errors``: this is the process's one piece of signal state, and only the
entry points that install handlers (the CLI) and the loops that check them use it.
"""

_interrupts: list[str] = []  # termination signals received by this process (see ``interrupt``)


def interrupt(signal_name: str) -> None:
    """A signal handler's body: record the signal, and nothing else.

    Python runs a handler wherever the main thread is. An exception raised there can land inside
    a finaliser (printed and dropped) or inside a compiled kernel's call (Numba's dispatcher then
    returns "a result with an exception set": a SystemError, exit 1). So the handler only
    records, and the command stops where it checks (``raise_if_interrupted``): every month of a
    model, between chunks, while waiting for a worker, and before a folder is committed.
    """
    _interrupts.append(signal_name)


def interrupted() -> bool:
    """Whether a termination signal has arrived since the command started."""
    return bool(_interrupts)


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if a termination signal arrived, even one whose exception was lost."""
    if _interrupts:
        raise KeyboardInterrupt(_interrupts[0])


def clear_interrupts() -> None:
    """Forget recorded signals once a command has answered for them."""
    _interrupts.clear()
