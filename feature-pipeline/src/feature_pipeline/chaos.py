"""Named kill points for the fault-injection tests.

`FEATURE_PIPELINE_KILL_AT=<point>` makes the run SIGKILL its whole process group (the Python
driver, its JVM and Spark's Python workers, as when a container or a Glue driver is lost) when
it reaches that point, whether the driver or a Spark task gets there first. Unset, as
everywhere but in those tests, a checkpoint does nothing.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "FEATURE_PIPELINE_KILL_AT"
# The driver's process group, inherited by its JVM and Spark's Python workers (which sit in a
# process group of their own).
_KILL_GROUP = "FEATURE_PIPELINE_KILL_GROUP"

# In run order; docs and tests iterate over them.
KILL_POINTS: tuple[str, ...] = (
    "checked",  # expectations passed; nothing written anywhere
    "store_load",  # inside the staging-table load (after a batch or a partition is in)
    "store_staged",  # staging table loaded and past the volume guard
    "run_written",  # the run's files are written, _SUCCESS is not
    "run_committed",  # _SUCCESS written, the store not swapped
    "store_published",  # the store swapped, _LATEST not moved
    "latest_moved",  # _LATEST moved, old runs not yet retired
)


def arm() -> None:
    """Called by the driver before its JVM starts, so that tasks know whom to kill."""
    if os.environ.get(KILL_AT):
        os.environ.setdefault(_KILL_GROUP, str(os.getpgid(0)))


def checkpoint(name: str) -> None:
    if os.environ.get(KILL_AT) != name:
        return
    own = os.getpgid(0)
    driver = int(os.environ.get(_KILL_GROUP, own))
    if driver != own:
        os.killpg(driver, signal.SIGKILL)
    os.killpg(own, signal.SIGKILL)
