"""How the notebook kernels are started: over ZeroMQ with CurveZMQ encryption where the kernel offers it.

ipykernel 7 warns "Kernel is running over TCP without encryption" on every start over plain TCP (issue 17: six
times a run, 43 times for the profiles), on stderr, where no option of papermill reaches. The warning names its own
cure, "launch with kernel manager-provisioned CurveZMQ keys", and jupyter_client (8.10 and later) provisions them
when asked (``KernelManager.transport_encryption``) and the kernelspec declares ``supported_encryption: curve``, as
ipykernel's does. So the kernels are encrypted instead of the message being hidden: nothing else on stderr is lost,
and a kernel whose spec or libzmq cannot do it still starts, unencrypted, and still warns.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["kernel_config"]


@lru_cache(maxsize=1)
def _can_encrypt() -> bool:
    import zmq
    from jupyter_client.manager import KernelManager

    # "auto" is refused outright (a TraitError at start) by a libzmq without CurveZMQ, and an older jupyter_client
    # has no such option; both keep the plain TCP start.
    return bool(zmq.has("curve")) and "transport_encryption" in KernelManager.class_trait_names()


def kernel_config() -> Any:
    """A traitlets ``Config`` for the kernel managers of papermill (``pm.execute_notebook(config=…)``) and of the
    warm profile kernels: transport encryption ``auto`` where it can work, else empty."""
    from traitlets.config import Config

    if not _can_encrypt():
        return Config()
    return Config({"KernelManager": {"transport_encryption": "auto"}})
