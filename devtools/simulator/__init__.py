"""A local AI gateway: the contract's API over real HTTP, real MP4s, faults on demand (no Django).

Run `python -m devtools.simulator --help`, or in-process `SimulatorServer(config=...).start()`.
"""

from devtools.simulator.config import SimulatorConfig
from devtools.simulator.server import SimulatorServer

__all__ = ["SimulatorConfig", "SimulatorServer"]
