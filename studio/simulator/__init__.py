"""A local AI gateway: the contract's API over real HTTP, real MP4s, faults on demand (no Django).

Run `python -m studio.simulator --help`, or in-process `SimulatorServer(config=...).start()`.
"""

from studio.simulator.config import SimulatorConfig
from studio.simulator.server import SimulatorServer

__all__ = ["SimulatorConfig", "SimulatorServer"]
