"""Data-parallel training: ExecutionEnvironment 'multi-gpu' and 'parallel' on torch.distributed (DDP).

In-process (one machine): trainNetwork/trainnet start ``W`` processes with torch.multiprocessing
(spawn) — NCCL with one GPU each for 'multi-gpu' (W = number of GPUs), gloo on CPUs for 'parallel'
(W = ``len(WorkerLoad)`` when given, else ``LAYERGRAPH_NUM_WORKERS``, else the number of CPUs).
Across machines: start the script with ``torchrun``; when torch.distributed is already initialised
(or the torchrun environment variables are set) every process trains its share and all return the
same network.

Every mini-batch of MiniBatchSize observations (the *global* batch, as in MATLAB) is split into W
equal parts; DDP averages the gradients, so the update equals a one-process update with the same
global batch (mean losses). Each process computes the validation metrics on the whole validation set
and the batch-norm population pass on the whole training set; process 0 prints, plots and writes
checkpoints.
"""

from __future__ import annotations

import os
import pickle
import socket

import torch
import torch.distributed as tdist

from ..errors import TrainingError


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _world_size(options) -> int:
    env = options.ExecutionEnvironment
    if env in ("multi-gpu", "parallel-gpu") or (env in ("parallel", "parallel-auto") and torch.cuda.is_available()):
        n = torch.cuda.device_count()
        if n == 0:
            raise TrainingError(f"ExecutionEnvironment '{env}' requires CUDA GPUs, but none is available.")
        return n
    if options.WorkerLoad:
        return len(options.WorkerLoad)
    value = os.environ.get("LAYERGRAPH_NUM_WORKERS")
    if value:
        try:
            n = int(value)
        except ValueError:
            raise TrainingError(f"LAYERGRAPH_NUM_WORKERS must be a positive integer, got {value!r}.") from None
        if n < 1:
            raise TrainingError(f"LAYERGRAPH_NUM_WORKERS must be a positive integer, got {value!r}.")
        return n
    return os.cpu_count() or 1


def _backend(options) -> str:
    env = options.ExecutionEnvironment
    gpu = env in ("multi-gpu", "parallel-gpu") or (env in ("parallel", "parallel-auto") and torch.cuda.is_available())
    return "nccl" if gpu else "gloo"


def _network_payload(net):
    from ..spec import spec_text

    text, _ = spec_text(net)
    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    return {"spec": text, "kind": net.kind, "state": state, "extra": dict(net._lg.extra)}


def _network_from_payload(payload):
    from ..network import _build
    from ..spec import load_spec
    from .checkpoint import _load_state

    graph = load_spec(payload["spec"])
    kind = payload["kind"]
    net = _build(graph, target="trainNetwork" if kind == "assembled" else "dlnetwork", kind=kind, function="trainNetwork")
    _load_state(net, payload["state"])
    net._lg.extra.update(payload["extra"])
    return net


def _run_rank(rank, world, X, Y, payload, options, style, loss_name, seed, backend, device_type, clock):
    from .loop import _echo, _train, trainnet_loss

    torch.manual_seed(seed)
    net = _network_from_payload(payload)
    if device_type == "cuda":
        torch.cuda.set_device(rank)
        device = torch.device("cuda", rank)
    else:
        device = torch.device("cpu")
    loss_spec = trainnet_loss(loss_name) if style == "trainnet" else None
    net, info = _train(X, Y, net, options, device=device, clock=clock, style=style, loss_spec=loss_spec,
                       dist=(rank, world), echo=_echo)
    return net, info


def _worker(rank, world, port, backend, args, queue):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    tdist.init_process_group(backend, rank=rank, world_size=world)
    try:
        net, info = _run_rank(rank, world, *args)
        if rank == 0:
            state = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
            queue.put(("ok", state, dict(net._lg.extra), info))
    except BaseException as exc:  # report to the parent instead of a bare traceback
        if rank == 0 or not isinstance(exc, RuntimeError):
            queue.put(("error", f"{type(exc).__name__}: {exc}", None, None))
        raise
    finally:
        _leave_process_group()


def _leave_process_group() -> None:
    """Leave the group together: a rank that tears gloo down while its peer is still in a collective
    (or already gone) can abort with 'terminate called without an active exception'."""
    try:
        tdist.barrier()
    except Exception:  # noqa: BLE001 - the peer failed; its error is already on the queue
        pass
    tdist.destroy_process_group()


def train_data_parallel(X, Y, net, options, *, clock=None, style="trainNetwork", loss_name=None, resume=None):
    """Train ``net`` data-parallel; returns (net, info) like the one-process functions."""
    from .loop import _echo, _train, trainnet_loss

    if resume is not None:
        raise TrainingError("Resuming a checkpoint with a parallel ExecutionEnvironment is not possible; resume it "
                            "with ExecutionEnvironment 'cpu' or 'gpu'.")
    backend = _backend(options)
    if tdist.is_available() and (tdist.is_initialized() or "TORCHELASTIC_RUN_ID" in os.environ
                                 or ("RANK" in os.environ and "WORLD_SIZE" in os.environ)):
        # torchrun / an existing process group: this process is one rank.
        if not tdist.is_initialized():
            tdist.init_process_group(backend)
        rank, world = tdist.get_rank(), tdist.get_world_size()
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank))) if backend == "nccl" else torch.device("cpu")
        loss_spec = trainnet_loss(loss_name) if style == "trainnet" else None
        return _train(X, Y, net, options, device=device, clock=clock, style=style, loss_spec=loss_spec,
                      dist=(rank, world), echo=_echo)

    world = _world_size(options)
    if options.MiniBatchSize % world:
        raise TrainingError(
            f"MiniBatchSize ({options.MiniBatchSize}) must be divisible by the number of workers ({world}) for "
            f"ExecutionEnvironment '{options.ExecutionEnvironment}'."
        )
    payload = _network_payload(net)
    seed = int(torch.randint(0, 2**62, (1,)).item())
    opts = options.copy()
    for name in ("OutputFcn",):
        value = getattr(opts, name)
        if value is not None:
            try:
                pickle.dumps(value)
            except Exception:
                raise TrainingError(
                    f"{name} must be a module-level function (picklable) for ExecutionEnvironment "
                    f"'{options.ExecutionEnvironment}', because it runs in the worker processes."
                ) from None
    try:
        pickle.dumps(clock)
    except Exception:
        clock = None
    args = (X, Y, payload, opts, style, loss_name, seed, backend, "cuda" if backend == "nccl" else "cpu", clock)
    try:
        pickle.dumps((X, Y, opts.ValidationData))
    except Exception as exc:
        raise TrainingError(f"The training data cannot be sent to the worker processes: {exc}.") from None
    import torch.multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    port = _free_port()
    result_item = None
    try:
        mp.start_processes(_worker, args=(world, port, backend, args, queue), nprocs=world, join=True,
                           start_method="spawn")
    except Exception as exc:
        message = None
        while not queue.empty():
            item = queue.get()
            if item[0] == "error":
                message = item[1]
            elif item[0] == "ok":
                result_item = item
        if result_item is None or message is not None:
            raise TrainingError(f"Data-parallel training failed: {message or exc}") from None
        # rank 0 delivered the trained network before a process died while shutting down: the
        # training itself completed, so its result stands
    status, state, extra, info = result_item if result_item is not None else queue.get()
    if status != "ok":
        raise TrainingError(f"Data-parallel training failed: {state}")
    state = {k: torch.from_numpy(v) for k, v in state.items()}
    result = _network_from_payload({"spec": payload["spec"], "kind": payload["kind"], "state": state, "extra": extra})
    if "classes" in extra and result.kind == "assembled":
        name = result._lg.graph.OutputNames[0]
        layer = result._lg.graph.layer(name)
        if "Classes" in layer.options() and layer.Classes == "auto":
            result.set_layer_values(name, Classes=[str(c) for c in extra["classes"]])
    result.eval()
    return result, info


__all__ = ["train_data_parallel"]
