"""A function that kills the process it runs in, for testing crash isolation."""

import os
import signal


def segfault(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)
