"""A function that kills the process it runs in, for testing crash isolation."""

import faulthandler
import os
import signal


def segfault(*_: object) -> None:
    # The crash is the point; pytest's fault handler would print a traceback that looks like a
    # failure in the CI log.
    faulthandler.disable()
    os.kill(os.getpid(), signal.SIGSEGV)
