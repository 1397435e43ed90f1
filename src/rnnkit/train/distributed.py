"""Data-parallel training over processes and machines: PyTorch's `torch.distributed`, launched
by `torchrun` (or by `rnnkit train TASK --nproc N`, which runs torchrun's own launcher).

torchrun starts one process per rank with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT set; `join` reads them and opens the process group (gloo on CPU, nccl on GPUs).
Every rank builds the same model from the same seed (rank 0's weights are then broadcast, as
DDP does) and trains on its own shard of each epoch (`Task.shard`). After each backward pass
`average_gradients` makes DDP's update: the gradients averaged over the ranks, in one
all-reduce that also carries whether every rank's loss was finite, so every rank takes (or
skips) the same step and the weights stay identical everywhere. Rank 0 alone writes the run
folder (`World.writer`). A process that is not launched by torchrun gets `SOLO`, whose
collectives do nothing.

A collective that fails because another process died, or did not come within the timeout,
becomes a `DistributedError`: one line, the last checkpoint intact.
"""

from __future__ import annotations

import datetime
import os
import re
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

from rnnkit.errors import UserError
from rnnkit.state import map_state


class DistributedError(UserError):
    """Another process of the run failed, disagreed, or never came. `lost`: contact with a
    process was lost (it died, or did not answer in time)."""

    def __init__(self, message: str, lost: bool = False) -> None:
        super().__init__(message)
        self.lost = lost


LEFT_KEY = "rnnkit/left"  # how many ranks > 0 have destroyed their group

LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def launched() -> dict | None:
    """torchrun's variables for this process ({"rank", "world_size", "local_rank", "address"})
    or None when this process was not started by torchrun (or another launcher that sets them)."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return None
    try:
        rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise DistributedError(f"RANK / WORLD_SIZE / LOCAL_RANK must be integers, got "
                               f"{os.environ.get('RANK')!r} / {os.environ.get('WORLD_SIZE')!r} / "
                               f"{os.environ.get('LOCAL_RANK')!r}") from None
    if not 0 <= rank < world_size:
        raise DistributedError(f"RANK {rank} is not in [0, WORLD_SIZE {world_size})")
    address = f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"
    return {"rank": rank, "world_size": world_size, "local_rank": local_rank, "address": address}


@dataclass(frozen=True)
class World:
    """This process's place among the processes of one run. `rank` 0 is the writer; tensors
    travel through `device` (this rank's GPU under nccl, else the CPU)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"

    @property
    def writer(self) -> bool:
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.world_size > 1

    def close(self, together: bool = True) -> None:
        """Leave the process group. `together`: every rank is alive and leaving now (the run
        ended, or every rank refused the same start), so they first wait for each other: a
        rank that destroys its group while another still uses it aborts (gloo). Otherwise
        (a peer is gone) the group is left as it is, as the process ends."""
        if not (self.parallel and dist.is_initialized()):
            return
        if together:
            try:
                store = dist.distributed_c10d._get_default_store()
                dist.barrier()
            except RuntimeError:
                return
            if self.rank == 0:
                self._wait_for_the_others_to_leave(store)
                dist.destroy_process_group()
            else:
                dist.destroy_process_group()
                try:
                    store.add(LEFT_KEY, 1)
                except RuntimeError:
                    pass

    def _wait_for_the_others_to_leave(self, store, limit_s: float = 10.0) -> None:
        """Rank 0 hosts the rendezvous store: it stays until every other rank has destroyed
        its group (a rank whose store vanishes mid-destroy aborts), or `limit_s` passes."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            try:
                if store.add(LEFT_KEY, 0) >= self.world_size - 1:
                    return
            except RuntimeError:
                return
            time.sleep(0.01)

    def _call(self, collective, *args, **kwargs):
        try:
            return collective(*args, **kwargs)
        except RuntimeError as error:  # gloo / nccl: a peer closed, or the timeout passed
            raise DistributedError(
                f"rank {self.rank}: lost contact with the other processes of the run "
                f"({first_words(error)}); "
                f"the last checkpoint is intact: start all {self.world_size} again with --resume",
                lost=True) from None

    def sum(self, values: Tensor) -> Tensor:
        """The element-wise sum of `values` over the ranks (a new tensor)."""
        if not self.parallel:
            return values.clone()
        travelling = values.to(self.device, copy=True)
        self._call(dist.all_reduce, travelling, op=dist.ReduceOp.SUM)
        return travelling.to(values.device)

    def broadcast(self, value):
        """Rank 0's `value` (any picklable object of our own making), on every rank."""
        if not self.parallel:
            return value
        box = [value]
        self._call(dist.broadcast_object_list, box, src=0)
        return box[0]

    def gather(self, value) -> list:
        """Every rank's `value`, in rank order, on every rank."""
        if not self.parallel:
            return [value]
        out = [None] * self.world_size
        self._call(dist.all_gather_object, out, value)
        return out

    def gather_tensors(self, tensor: Tensor) -> list[Tensor]:
        """Every rank's `tensor` (the same shape on each), in rank order."""
        if not self.parallel:
            return [tensor]
        travelling = tensor.to(self.device).contiguous()
        out = [torch.empty_like(travelling) for _ in range(self.world_size)]
        self._call(dist.all_gather, out, travelling)
        return [t.to(tensor.device) for t in out]

    def broadcast_parameters(self, module: torch.nn.Module) -> None:
        """Rank 0's parameters and buffers, copied into every rank's `module` (DDP's start)."""
        if not self.parallel:
            return
        with torch.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                self._call(dist.broadcast, tensor.data, src=0)

    def average_gradients(self, parameters: list, loss: float, tokens: int,
                          finite: bool) -> tuple[float, int, bool]:
        """Replace each parameter's gradient by its mean over the ranks (a parameter no rank
        used keeps no gradient), in one all-reduce that also carries the losses, the token
        counts and a finite flag. Returns (mean loss, tokens of all ranks, every rank's loss
        finite). A rank whose loss was not finite sends zeros."""
        if not self.parallel:
            return loss, tokens, finite
        pieces = [p.grad.reshape(-1) if finite and p.grad is not None
                  else torch.zeros(p.numel(), device=p.device, dtype=p.dtype) for p in parameters]
        used = [1.0 if finite and p.grad is not None else 0.0 for p in parameters]
        head = torch.tensor([loss if finite else 0.0, 0.0 if finite else 1.0, float(tokens), *used],
                            device=parameters[0].device, dtype=parameters[0].dtype)
        buffer = torch.cat([head, *pieces])
        self._call(dist.all_reduce, buffer, op=dist.ReduceOp.SUM)
        head = buffer[: head.numel()].clone()
        all_finite = float(head[1]) == 0.0
        offset = head.numel()
        buffer /= self.world_size
        for p, was_used in zip(parameters, head[3:].tolist()):
            grad = buffer[offset : offset + p.numel()]
            p.grad = grad.view_as(p).clone() if all_finite and was_used > 0 else None
            offset += p.numel()
        mean_loss = float(head[0]) / self.world_size if all_finite else float("nan")
        return mean_loss, int(round(float(head[2]))), all_finite

    def slowest(self, seconds: float) -> float:
        """The largest of every rank's `seconds` (every rank gets the same)."""
        if not self.parallel:
            return seconds
        travelling = torch.tensor([seconds], dtype=torch.float64, device=self.device)
        self._call(dist.all_reduce, travelling, op=dist.ReduceOp.MAX)
        return float(travelling[0])

    def any(self, flag: bool) -> bool:
        """Whether `flag` holds on any rank (every rank gets the same answer)."""
        if not self.parallel:
            return flag
        return bool(self.sum(torch.tensor([1.0 if flag else 0.0]))[0] > 0)

    def barrier(self) -> None:
        if self.parallel:
            self._call(dist.barrier)


SOLO = World()


def join(timeout_s: float, cuda: bool) -> World:
    """This process's World: `SOLO` unless torchrun launched it; then the process group is
    opened (nccl when `cuda`, else gloo), waiting at most `timeout_s` for the others (and as
    long for every collective after)."""
    found = launched()
    if found is None or found["world_size"] == 1:
        return SOLO
    backend = "nccl" if cuda else "gloo"
    if cuda:
        torch.cuda.set_device(found["local_rank"])
    else:
        torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS") or 1)))
    try:
        dist.init_process_group(backend, rank=found["rank"], world_size=found["world_size"],
                                timeout=datetime.timedelta(seconds=timeout_s))
    except RuntimeError as error:
        raise DistributedError(
            f"rank {found['rank']}: the {found['world_size']} processes did not all meet at "
            f"{found['address']} within {timeout_s:g} s ({first_words(error)}); start every rank "
            f"with the same --nnodes / --nproc-per-node / --rdzv-endpoint (nothing was written)"
        ) from None
    return World(found["rank"], found["world_size"], found["local_rank"],
                 f"cuda:{found['local_rank']}" if cuda else "cpu")


def first_words(error: Exception) -> str:
    """The gist of a gloo / nccl / store error: its first sentence, without the source line."""
    text = re.sub(r"^\[[^\]]*\]\s*", "", str(error).strip().split("\n")[0])
    return (text.split(". ")[0].rstrip(".") or type(error).__name__)[:160]


def device_of(world: World, device: torch.device) -> torch.device:
    """The device of this rank: its own GPU (LOCAL_RANK) when training on GPUs."""
    if world.parallel and device.type == "cuda":
        return torch.device("cuda", world.local_rank)
    return device


def agree(world: World, failure: str | None, settings: dict) -> None:
    """Every rank stops with the same line when any rank failed to start (rank 0's failure
    first), or when the ranks were started with different settings (each named)."""
    if not world.parallel:
        if failure is not None:
            raise DistributedError(failure)
        return
    reports = world.gather((failure, settings))
    own = reports[world.rank][0]
    if own is not None:
        raise DistributedError(own)
    failed = next(((rank, f) for rank, (f, _) in enumerate(reports) if f is not None), None)
    if failed is not None:
        raise DistributedError(f"rank {failed[0]} could not start: {failed[1]}")
    first = reports[0][1]
    for rank, (_, theirs) in enumerate(reports[1:], start=1):
        differ = [f"{key}: rank 0 {first.get(key)!r}, rank {rank} {theirs.get(key)!r}"
                  for key in sorted(set(first) | set(theirs)) if first.get(key) != theirs.get(key)]
        if differ:
            raise DistributedError(f"the processes were started with different settings "
                                   f"({'; '.join(differ[:4])}{' ...' if len(differ) > 4 else ''}); "
                                   f"start every rank with the same flags (nothing was written)")


def gather_state(world: World, state):
    """The carried recurrent state of every rank, joined along the batch axis (dim 1 of the
    layer layout (L·K, B, H)): the state a single process with all the rows would carry."""
    if state is None or not world.parallel:
        return state
    return map_state(lambda leaf: torch.cat(world.gather_tensors(leaf), dim=1), state)


def own_rows(world: World, state):
    """This rank's block of a state `gather_state` joined."""
    if state is None or not world.parallel:
        return state
    return map_state(lambda leaf: leaf.chunk(world.world_size, dim=1)[world.rank].contiguous(),
                     state)


def launch_here(nproc: int, arguments: list[str], nnodes: int = 1,
                endpoint: str | None = None) -> int:
    """Run `python -m rnnkit ARGUMENTS` as `nproc` processes on this machine through torchrun's
    own launcher (`torch.distributed.run`, as `torchrun --standalone --nproc-per-node N`); one
    thread each on CPU unless OMP_NUM_THREADS says otherwise. With `nnodes` > 1 this machine is
    one of that many, all meeting at `endpoint` (HOST:PORT, torchrun's c10d rendezvous: run the
    same command on each). Returns 0 when every process succeeded, a process's own exit code 2
    (it printed its one-line error), else raises DistributedError naming the first process
    that failed (torchrun has stopped the others). Unlike torchrun's command, a failure is one
    line, not torchrun's report and traceback."""
    import logging

    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    if nproc < 1 or nnodes < 1:
        raise DistributedError(f"--nproc and --nnodes must be >= 1, got {nproc} and {nnodes}")
    if launched() is not None:
        raise DistributedError("--nproc starts the processes itself: under torchrun, leave it out "
                               "(torchrun's --nproc-per-node says how many)")
    if nnodes > 1 and not (endpoint and re.fullmatch(r"[^\s:]+:\d{1,5}", endpoint)):
        raise DistributedError(f"--nnodes {nnodes} needs --rdzv-endpoint HOST:PORT, where the "
                               f"machines meet (the same on each), got {endpoint!r}")
    if nnodes == 1 and endpoint:
        raise DistributedError("--rdzv-endpoint is where several machines meet: give --nnodes too")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    where = (["--standalone"] if nnodes == 1 else
             [f"--nnodes={nnodes}", "--rdzv-backend=c10d", f"--rdzv-endpoint={endpoint}",
              "--rdzv-id=rnnkit"])
    args = torchrun.get_args_parser().parse_args(
        [*where, f"--nproc-per-node={nproc}", "--max-restarts=0", "--monitor-interval=0.2",
         "-m", "rnnkit", *arguments])
    total = nproc * nnodes
    quiet = [logging.getLogger(name) for name in ("torch.distributed", "torch.distributed.elastic")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        torchrun.run(args)
    except SignalException:  # Ctrl-C or a kill of the launcher: torchrun stopped the processes
        raise KeyboardInterrupt from None
    except ChildFailedError as error:
        codes = {failure.local_rank: failure.exitcode for failure in error.failures.values()}
        if 2 in codes.values():  # bad input: the first process of each machine says what in one
            if codes.get(0) != 2:  # line (the others keep quiet)
                raise DistributedError(
                    f"a process of {total} refused its input; "
                    + ("run with --nproc 1 to see why" if nnodes == 1 else
                       "the machine running process 0 says why")) from None
            return 2
        rank, failure = error.get_first_failure()
        how = (f"was killed ({failure.signal_name()})" if failure.exitcode < 0
               else f"exited with code {failure.exitcode}")
        raise DistributedError(f"process {rank} of {total} {how}; torchrun stopped the others; "
                               f"the last checkpoint is intact: continue with --resume") from None
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    return 0
