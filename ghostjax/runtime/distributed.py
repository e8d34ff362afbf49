"""Joining a multi-process run with JAX's own distributed runtime.

Every process of a run calls ``initialize`` before touching any device. Afterwards
``jax.devices()`` lists the devices of all processes, and the data-parallel mesh of
``ghostjax.training.parallel`` spans them.

* Explicit: ``coordinator_address='10.0.0.1:1234', num_processes=2, process_id=k``
  (process 0 hosts the coordinator at that address).
* Cluster: with none of the three given, JAX's auto-detection fills them in on Cloud TPU
  pod slices, SLURM (``srun``), Open MPI (``mpirun``) and Kubernetes; anywhere else the run is
  a plain single process.
* ``num_processes=1`` is a plain single process, whatever the environment says.

If a process dies, the coordination service notices within ``heartbeat_timeout_s`` and ends
the others with "Terminating process because the JAX distributed service detected fatal
errors", instead of letting them hang in a collective.
"""
from __future__ import annotations

import dataclasses
import os
import socket
import time

import jax

class JoinError(RuntimeError):
    """This process could not join the run (coordinator unreachable, or the others missing)."""


@dataclasses.dataclass(frozen=True)
class Topology:
    """Where this process stands: ``process_id`` of ``num_processes``."""
    process_id: int
    num_processes: int
    coordinator_address: str | None


def check_args(coordinator_address: str | None, num_processes: int | None,
               process_id: int | None) -> None:
    """Raises ValueError, naming the value, for an incomplete or inconsistent set of flags."""
    if num_processes is not None and num_processes < 1:
        raise ValueError(f'--num_processes must be >= 1, got {num_processes}')
    if num_processes is None or num_processes == 1:
        if process_id not in (None, 0):
            raise ValueError(f'--process_id={process_id} needs --num_processes > {process_id}')
        return
    if process_id is None:
        raise ValueError(f'--num_processes={num_processes} needs --process_id (0 .. '
                         f'{num_processes - 1}): each process must say which one it is')
    if not 0 <= process_id < num_processes:
        raise ValueError(f'--process_id must be in 0 .. {num_processes - 1} for '
                         f'--num_processes={num_processes}, got {process_id}')
    address = coordinator_address or os.environ.get('JAX_COORDINATOR_ADDRESS')
    if not address:
        raise ValueError(f'--num_processes={num_processes} needs --coordinator_address '
                         "(host:port of process 0, e.g. '10.0.0.1:1234')")
    host, _, port = address.rpartition(':')
    if not host or not port.isdigit():
        raise ValueError(f"--coordinator_address must be 'host:port', got {address!r}")


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, *, init_timeout_s: int = 300,
               heartbeat_timeout_s: int = 100) -> Topology:
    """Joins the run described by the arguments (see the module docstring) and returns this
    process's place in it. Idempotent: a second call returns the current topology.

    An unreachable coordinator fails after ``init_timeout_s`` with a JoinError naming it.
    """
    if jax.distributed.is_initialized():
        return Topology(jax.process_index(), jax.process_count(), coordinator_address)
    check_args(coordinator_address, num_processes, process_id)
    if num_processes == 1:
        return Topology(0, 1, None)
    explicit = any(v is not None for v in (coordinator_address, num_processes, process_id))
    address = coordinator_address or os.environ.get('JAX_COORDINATOR_ADDRESS')
    if address and process_id:  # JAX aborts the process on an unreachable coordinator
        init_timeout_s = _wait_for_coordinator(address, process_id, init_timeout_s)
    try:
        jax.distributed.initialize(
            coordinator_address, num_processes, process_id,
            initialization_timeout=init_timeout_s, heartbeat_timeout_seconds=heartbeat_timeout_s)
    except (ValueError, RuntimeError):
        if explicit:
            raise
        # no cluster detected, or JAX already in use in this process (a notebook): on its own
        return Topology(0, 1, None)
    except Exception as error:  # the runtime raises XlaRuntimeError (DEADLINE_EXCEEDED, ...)
        raise JoinError(
            f'process {process_id} could not join the run at coordinator {address or "auto"} '
            f'({type(error).__name__}: {str(error).splitlines()[0]})') from error
    return Topology(jax.process_index(), jax.process_count(), coordinator_address)


def _wait_for_coordinator(address: str, process_id: int, timeout_s: float) -> int:
    """Waits until ``address`` accepts TCP connections; returns the seconds left of
    ``timeout_s``, or raises JoinError naming the address."""
    host, _, port = address.rpartition(':')
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1.0).close()
            return max(1, int(deadline - time.monotonic()))
        except OSError as error:
            if time.monotonic() >= deadline:
                raise JoinError(
                    f'process {process_id} could not join the run at coordinator {address} within '
                    f'{timeout_s} s ({error}). Is process 0 running, and is the address reachable '
                    'from this host?') from error
            time.sleep(0.5)
