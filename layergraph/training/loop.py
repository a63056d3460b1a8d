"""``trainNetwork`` and ``trainnet``: MATLAB's training workflow on PyTorch.

The loop follows MATLAB's semantics: floor(N/MiniBatchSize) iterations per epoch, Shuffle
'once'/'every-epoch'/'never', input normalization statistics before the first iteration, the MATLAB
solvers of :mod:`.solver`, validation at iteration 1, every ValidationFrequency and the last
iteration, ValidationPatience, OutputNetwork, BatchNormalizationStatistics, OutputFcn, checkpoints,
and the verbose table.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import torch

from ..errors import LayerGraphError, NetworkError, TrainingError
from ..functions import matlab_function
from .data import (
    Batch, NetIO, SeqOptions, Source, Targets, all_batches, compute_input_statistics, encode_source_targets,
    epoch_batches, make_batch, make_source, make_targets, needs_statistics, net_io, split_batch,
    chunked_forward,
)
from ..layers.recurrent import carry_state
from .display import ProgressPlot, TrainnetTable, VerboseTable
from .options import TrainingOptions
from .solver import MatlabSolver, piecewise_rate

# ------------------------------------------------------------------------------------------------
# The info struct


class TrainingInfo:
    """``info``: per-iteration vectors (NaN where not computed) and the final values, by MATLAB name."""

    def __init__(self, metric: str):
        self._metric = metric
        self.TrainingLoss = np.zeros(0)
        self.ValidationLoss = np.zeros(0)
        self.BaseLearnRate = np.zeros(0)
        self.FinalValidationLoss = math.nan
        self.OutputNetworkIteration = 0
        self.StopReason = ""
        name = "Accuracy" if metric == "accuracy" else "RMSE"
        setattr(self, f"Training{name}", np.zeros(0))
        setattr(self, f"Validation{name}", np.zeros(0))
        setattr(self, f"FinalValidation{name}", math.nan)

    def fields(self) -> list[str]:
        name = "Accuracy" if self._metric == "accuracy" else "RMSE"
        return ["TrainingLoss", f"Training{name}", "ValidationLoss", f"Validation{name}", "BaseLearnRate",
                "FinalValidationLoss", f"FinalValidation{name}", "OutputNetworkIteration"]

    def __getitem__(self, key):
        return getattr(self, key)

    def keys(self):
        return self.fields()

    def __repr__(self):
        rows = []
        for f in self.fields():
            v = getattr(self, f)
            rows.append((f, f"[{v.size}×1 double]" if isinstance(v, np.ndarray) and v.size != 1 else repr(v)))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:>{width + 4}}: {v}" for k, v in rows)


# ------------------------------------------------------------------------------------------------
# Loss and metric adaptors


def _valid_mask(batch: Batch, out: torch.Tensor, direction: str) -> torch.Tensor | None:
    if batch.lengths is None or out.dim() < 3:
        return None
    t = out.shape[1]
    steps = torch.arange(t, device=out.device).unsqueeze(0)
    lengths = torch.as_tensor(batch.lengths, device=out.device).clamp(max=t).unsqueeze(1)
    return steps < lengths if direction == "right" else steps >= (t - lengths)


class LossAdaptor:
    """Turns (network output, batch) into the loss and the mini-batch metric the table shows."""

    def __init__(self, loss: Callable, task: str, seq_out: bool, direction: str, metric: str | None):
        self.loss_fn = loss
        self.task = task
        self.seq_out = seq_out
        self.direction = direction
        self.metric = metric

    def targets_for_loss(self, out: torch.Tensor, batch: Batch):
        t = batch.t
        if self.task == "classification":
            if self.seq_out:
                k = out.shape[-1] if self.seq_out else out.shape[1]
                hot = torch.nn.functional.one_hot(t.clamp_min(0), k).to(out.dtype)
                hot = hot * (t >= 0).unsqueeze(-1).to(out.dtype)
                if not self.seq_out and hot.dim() != out.dim():
                    hot = hot.movedim(-1, 1)
                return hot
            return t
        t = t.to(out.dtype)
        if self.seq_out:
            mask = _valid_mask(batch, out, self.direction)
            if mask is not None:
                t = torch.where(mask.unsqueeze(-1), t.reshape(out.shape), out.detach())
        return t

    def __call__(self, out, batch):
        return self.loss_fn(out, self.targets_for_loss(out, batch))

    @torch.no_grad()
    def metric_value(self, out: torch.Tensor, batch: Batch) -> tuple[float, int]:
        """(metric, number of values it averages) for the mini-batch."""
        if self.metric is None:
            return math.nan, 0
        t = batch.t
        if self.metric == "accuracy":
            if not self.seq_out:
                n = int(t.numel())
                return 100.0 * int((out.argmax(1).reshape(t.shape) == t).sum()) / n, n
            pred = out.argmax(-1)
            valid = t >= 0
            n = int(valid.sum())
            correct = int((pred == t)[valid].sum())
            return (100.0 * correct / n if n else math.nan), n
        t = t.to(out.dtype).reshape(out.shape)
        err = (out - t) ** 2
        if self.seq_out:
            mask = _valid_mask(batch, out, self.direction)
            if mask is not None:
                err = err[mask]
        return math.sqrt(float(err.mean())), int(err.numel())


# ------------------------------------------------------------------------------------------------
# Helpers


def _device(options: TrainingOptions) -> torch.device:
    env = options.ExecutionEnvironment
    if env in ("gpu", "multi-gpu", "parallel-gpu"):
        if not torch.cuda.is_available():
            raise TrainingError(
                f"ExecutionEnvironment '{env}' requires a CUDA GPU, but none is available. "
                "Use 'auto' or 'cpu'."
            )
        return torch.device("cuda")
    if env in ("auto", "parallel-auto", "parallel"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device("cpu")


def _echo(text: str = ""):
    print(text, flush=True)
    sys.stdout.flush()


def set_input_statistics(net, layer_name: str, stats: dict) -> None:
    """Store normalization statistics (MATLAB layout) in the input layer's module buffers (torch layout)."""
    layer = net._lg.graph.layer(layer_name)
    module = net.layer_module(layer_name)
    target = module if hasattr(module, "Mean") else getattr(module, "inner", module)
    for prop, value in stats.items():
        tensor = layer.to_torch(prop, value, [])
        old = getattr(target, prop, None)
        device = old.device if isinstance(old, torch.Tensor) else None
        setattr(target, prop, tensor.to(device) if device is not None else tensor)


def batchnorm_layers(net) -> list:
    out = []
    for layer in net._lg.graph.layer_list():
        states = layer.state_names()
        if "TrainedMean" in states and "TrainedVariance" in states and layer.Name in net._lg.module_names:
            out.append(layer)
    return out


@torch.no_grad()
def population_statistics(net, source: Source, options: TrainingOptions, device) -> None:
    """``BatchNormalizationStatistics='population'``: one more pass over the training data.

    Each batch normalization layer's TrainedMean/TrainedVariance become the mean and (population)
    variance of its input over the whole training set, the network running as in training (batch
    statistics upstream, dropout off).
    """
    from ..network import _find_tensor

    layers = batchnorm_layers(net)
    if not layers:
        return
    sums = {}
    hooks = []
    modules = {}
    for layer in layers:
        module = net.layer_module(layer.Name)
        modules[layer.Name] = module
        has_time = net._lg.analysis.input_layouts[layer.Name][0].has_time
        cdim = 2 if has_time else 1

        def hook(mod, args, name=layer.Name, cdim=cdim):
            x = args[0].detach().double()
            dims = tuple(d for d in range(x.dim()) if d != cdim)
            n = math.prod(x.shape[d] for d in dims)
            s, s2 = x.sum(dims), (x * x).sum(dims)
            if name in sums:
                a, b, c = sums[name]
                sums[name] = (a + s, b + s2, c + n)
            else:
                sums[name] = (s, s2, n)

        hooks.append(module.register_forward_pre_hook(hook))
    saved = {name: {k: v.clone() for k, v in m.state_dict().items()} for name, m in modules.items()}
    was_training = net.training
    net.eval()
    for m in modules.values():
        m.train()
    seq = SeqOptions(options.SequenceLength if options.SequenceLength != "shortest" else "shortest",
                     options.SequencePaddingDirection, options.SequencePaddingValue)
    try:
        for idx in all_batches(len(source), options.MiniBatchSize):
            batch = make_batch(source, idx, None, seq, device)
            net(batch.x)
    finally:
        for h in hooks:
            h.remove()
        net.train(was_training)
    for layer in layers:
        module = modules[layer.Name]
        module.load_state_dict(saved[layer.Name])
        s, s2, n = sums[layer.Name]
        mean = s / n
        var = (s2 / n - mean * mean).clamp_min(0)
        for prop, value in (("TrainedMean", mean), ("TrainedVariance", var)):
            buf = _find_tensor(module, layer.torch_attribute(prop))
            if buf is not None:
                buf.copy_(value.to(buf.dtype).reshape(buf.shape))


# ------------------------------------------------------------------------------------------------
# The trainer


@dataclass
class DistContext:
    rank: int
    world: int
    module: torch.nn.Module   # the DDP wrapper used for forward


class Trainer:
    """One training run (also used, one per process, by the data-parallel environments)."""

    def __init__(self, net, source: Source, targets: Targets, io: NetIO, options: TrainingOptions, *,
                 loss: LossAdaptor, style: str = "trainNetwork", clock: Callable[[], float] | None = None,
                 validation=None, device=None, dist: DistContext | None = None, echo=_echo,
                 print_preamble: bool = True, normalization_initialized: bool = False):
        self.net = net
        self.source = source
        self.targets = targets
        self.io = io
        self.options = options
        self.loss = loss
        self.style = style
        self.clock = clock or time.perf_counter
        self.validation = validation   # (Source, Targets) or None
        self.device = device or torch.device("cpu")
        self.dist = dist
        self.leader = dist is None or dist.rank == 0
        self.echo = echo if self.leader else (lambda *a, **k: None)
        self.metric = loss.metric
        self.seq = SeqOptions(options.SequenceLength, options.SequencePaddingDirection, options.SequencePaddingValue)
        self.normalization_initialized = normalization_initialized
        self.print_preamble = print_preamble
        params = [(p, lr, l2) for _, _, p, lr, l2 in net.parameter_info()]
        self.solver = MatlabSolver(params, options)
        self.n = len(source)
        self.iterations_per_epoch = self.n // options.MiniBatchSize
        self.generator = torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,)).item()))
        self.order = torch.arange(self.n)
        self.epoch = 1
        self.position = 0          # mini-batches done in the current epoch
        self.iteration = 0
        self.history = {k: [] for k in ("loss", "metric", "vloss", "vmetric", "lr")}
        self.best = (math.inf, 0, None)
        self.bad_validations = 0
        self.last_val = (math.nan, math.nan)
        self.start_offset = 0.0

    # ---- SequenceLength given as an integer ------------------------------------------------------------

    def _chunks(self, batch) -> list:
        """The mini-batch itself, or its chunks of SequenceLength time steps (integer SequenceLength)."""
        length = self.options.SequenceLength
        if isinstance(length, str) or not self.source.is_seq:
            return [batch]
        return split_batch(batch, int(length), self.seq.direction, bool(self.targets.seq))

    def _forward_eval(self, x):
        """Forward for validation: chunked with carried state for an integer SequenceLength."""
        length = self.options.SequenceLength
        if isinstance(length, str) or x.dim() < 3 or not self.validation[0].is_seq:
            return self.net(x)
        return chunked_forward(self.net, self.net, x, int(length), bool(self.loss.seq_out))

    # ---- validation --------------------------------------------------------------------------------

    @torch.no_grad()
    def validate(self) -> tuple[float, float]:
        vsource, vtargets = self.validation
        self.net.eval()
        total_loss = 0.0
        total_metric = 0.0
        n_obs = n_metric = 0
        try:
            vsource.prefetch(all_batches(len(vsource), self.options.MiniBatchSize))
            for idx in all_batches(len(vsource), self.options.MiniBatchSize):
                batch = make_batch(vsource, idx, vtargets, self.seq, self.device, "validation data")
                out = self._forward_eval(batch.x)
                loss = float(self.loss(out, batch))
                total_loss += loss * len(idx)
                n_obs += len(idx)
                m, k = self.loss.metric_value(out, batch)
                if k:
                    if self.metric == "rmse":
                        total_metric += m * m * k
                    else:
                        total_metric += m * k
                    n_metric += k
        finally:
            vsource.stop_prefetch()
            self.net.train()
        vloss = total_loss / n_obs
        if not n_metric:
            vmetric = math.nan
        elif self.metric == "rmse":
            vmetric = math.sqrt(total_metric / n_metric)
        else:
            vmetric = total_metric / n_metric
        return vloss, vmetric

    # ---- the run -----------------------------------------------------------------------------------

    def state_struct(self, state: str, loss=math.nan, metric=math.nan, vloss=None, vmetric=None, lr=math.nan):
        name = "Accuracy" if self.metric == "accuracy" else "RMSE"
        s = SimpleNamespace(Epoch=self.epoch, Iteration=self.iteration,
                            TimeSinceStart=self.elapsed(), TrainingLoss=loss, ValidationLoss=vloss,
                            BaseLearnRate=lr, State=state)
        setattr(s, f"Training{name}", metric)
        setattr(s, f"Validation{name}", vmetric)
        return s

    def elapsed(self) -> float:
        return self.start_offset + (self.clock() - self.t0)

    def call_output_fcns(self, make_state) -> bool:
        fcns = self.options.OutputFcn
        if not fcns:
            return False
        stop = False
        if self.leader:
            state = make_state()
            for f in (fcns if isinstance(fcns, list) else [fcns]):
                stop = bool(f(state)) or stop
        if self.dist is not None:   # process 0 decides; every process stops together
            flag = torch.tensor([1 if stop else 0])
            torch.distributed.broadcast(flag, 0)
            stop = bool(flag.item())
        return stop

    def run(self):
        opts = self.options
        max_epochs = opts.MaxEpochs
        validation_on = self.validation is not None
        table = None
        plot = None
        self.t0 = self.clock()
        if opts.Verbose and self.leader:
            if self.style == "trainNetwork":
                table = VerboseTable(self.metric, validation_on)
                self.echo(table.header())
            else:
                cols = ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss"]
                if validation_on:
                    cols.append("ValidationLoss")
                if self.metric:
                    cols.append("Training" + ("Accuracy" if self.metric == "accuracy" else "RMSE"))
                    if validation_on:
                        cols.append("Validation" + ("Accuracy" if self.metric == "accuracy" else "RMSE"))
                table = TrainnetTable(cols)
                self.echo(table.header())
        if opts.Plots == "training-progress" and self.leader:
            plot = ProgressPlot(self.metric or "loss", echo=self.echo)
        if self.iteration == 0 and self.call_output_fcns(lambda: self.state_struct("start")):
            self.stop_reason = "Stopped by OutputFcn"
            return self.finish(table, plot)

        if opts.Shuffle == "once" and self.iteration == 0:
            self.order = torch.randperm(self.n, generator=self.generator)
        self.stop_reason = "Max epochs completed"
        net_forward = self.dist.module if self.dist is not None else self.net
        self.net.train()
        stop = False
        last_row_printed = 0
        backup = [p.detach().clone() for p in self.solver.params]
        while self.epoch <= max_epochs and not stop:
            if self.position == 0 and opts.Shuffle == "every-epoch":
                self.order = torch.randperm(self.n, generator=self.generator)
            batches = epoch_batches(self.order, opts.MiniBatchSize)
            lr = piecewise_rate(opts, self.epoch)
            if self.dist is None:   # datastores: read this epoch's mini-batches ahead (workers or a thread)
                self.source.prefetch([b.tolist() for b in batches[self.position:]])
            while self.position < len(batches):
                idx = batches[self.position]
                if self.dist is not None:
                    idx = idx.tensor_split(self.dist.world)[self.dist.rank]
                batch = make_batch(self.source, idx.tolist(), self.targets, self.seq, self.device)
                # SequenceLength n (integer): the padded mini-batch is split into chunks of n time steps,
                # each one iteration (one parameter update), the recurrent state carried from chunk to chunk
                # and reset for every mini-batch (see split_batch and layers.recurrent.carry_state).
                chunks = self._chunks(batch)
                with carry_state(self.net, on=len(chunks) > 1):
                    for k, batch in enumerate(chunks):
                        out = net_forward(batch.x)
                        loss = self.loss(out, batch)
                        loss_value = float(loss.detach())
                        metric_value, _ = self.loss.metric_value(out, batch)
                        if self.dist is not None:
                            stats = torch.tensor([loss_value, metric_value], dtype=torch.float64)
                            torch.distributed.all_reduce(stats)
                            loss_value, metric_value = (stats / self.dist.world).tolist()
                        if not math.isfinite(loss_value):
                            # the weights of the last finite loss are those before the previous update
                            if self.iteration:
                                with torch.no_grad():
                                    for p, b in zip(self.solver.params, backup):
                                        p.copy_(b)
                            self.stop_reason = "Training loss is NaN" if math.isnan(loss_value) else "Training loss is Inf"
                            stop = True
                            break
                        self.solver.zero_grad()
                        loss.backward()
                        with torch.no_grad():
                            for p, b in zip(self.solver.params, backup):
                                b.copy_(p)
                        self.solver.step(lr)
                        final = (self.epoch == max_epochs and self.position == len(batches) - 1
                                 and k == len(chunks) - 1)
                        self.iteration += 1
                        if k == len(chunks) - 1:
                            self.position += 1
                        it = self.iteration
                        vloss = vmetric = None
                        if validation_on and (it == 1 or it % opts.ValidationFrequency == 0 or final):
                            vloss, vmetric = self.validate()
                            self.last_val = (vloss, vmetric)
                            if vloss < self.best[0]:
                                weights = {name: v.detach().clone() for name, v in self.net.state_dict().items()}
                                self.best = (vloss, it, weights)
                                self.bad_validations = 0
                            else:
                                self.bad_validations += 1
                                if self.bad_validations >= opts.ValidationPatience:
                                    self.stop_reason = "Met validation criterion"
                                    stop = True
                        h = self.history
                        h["loss"].append(loss_value)
                        h["metric"].append(metric_value)
                        h["vloss"].append(math.nan if vloss is None else vloss)
                        h["vmetric"].append(math.nan if vmetric is None else vmetric)
                        h["lr"].append(lr)
                        show = it == 1 or it % opts.VerboseFrequency == 0 or vloss is not None or final or stop
                        if table is not None and show:
                            self.print_row(table, it, loss_value, metric_value, vloss, vmetric, lr)
                            last_row_printed = it
                        if plot is not None:
                            plot.add(it, loss_value, metric_value, vloss, vmetric)
                        if self.call_output_fcns(lambda: self.state_struct("iteration", loss_value, metric_value, vloss, vmetric, lr)):
                            self.stop_reason = "Stopped by OutputFcn"
                            stop = True
                        if opts.CheckpointPath and opts.CheckpointFrequencyUnit == "iteration" and it % opts.CheckpointFrequency == 0:
                            self.checkpoint()
                        if stop:
                            break
                if stop:
                    break
            if stop:
                break
            self.epoch += 1
            self.position = 0
            if opts.CheckpointPath and opts.CheckpointFrequencyUnit == "epoch" and (self.epoch - 1) % opts.CheckpointFrequency == 0:
                self.checkpoint()
        if self.epoch > max_epochs:
            self.epoch = max_epochs
        if table is not None and self.iteration and last_row_printed != self.iteration:
            h = self.history
            self.print_row(table, self.iteration, h["loss"][-1], h["metric"][-1], None, None, h["lr"][-1])
        return self.finish(table, plot)

    def print_row(self, table, it, loss, metric, vloss, vmetric, lr):
        if isinstance(table, VerboseTable):
            self.echo(table.row(self.epoch, it, self.elapsed(), metric, loss, lr, vmetric, vloss))
        else:
            name = "Accuracy" if self.metric == "accuracy" else "RMSE"
            self.echo(table.row({"Iteration": it, "Epoch": self.epoch, "TimeElapsed": self.elapsed(), "LearnRate": lr,
                                 "TrainingLoss": loss, "ValidationLoss": vloss, f"Training{name}": metric,
                                 f"Validation{name}": vmetric}))

    def finish(self, table, plot):
        self.source.stop_prefetch()
        opts = self.options
        if table is not None:
            if isinstance(table, VerboseTable):
                self.echo(table.footer())
                self.echo(f"Training finished: {self.stop_reason}.")
            else:
                self.echo(f"Training stopped: {self.stop_reason}")
        info = TrainingInfo(self.metric or "accuracy")
        h = self.history
        name = "Accuracy" if (self.metric or "accuracy") == "accuracy" else "RMSE"
        info.TrainingLoss = np.asarray(h["loss"], dtype=float)
        setattr(info, f"Training{name}", np.asarray(h["metric"], dtype=float))
        info.ValidationLoss = np.asarray(h["vloss"], dtype=float)
        setattr(info, f"Validation{name}", np.asarray(h["vmetric"], dtype=float))
        info.BaseLearnRate = np.asarray(h["lr"], dtype=float)
        info.StopReason = self.stop_reason
        output_iteration = self.iteration
        if self.stop_reason.startswith("Training loss is"):
            output_iteration = max(self.iteration - 1, 0)
        if self.validation is not None:
            want_best = opts.OutputNetwork in ("best-validation-loss", "best-validation") or (opts.OutputNetwork == "auto")
            if want_best and self.best[2] is not None:
                self.net.load_state_dict(self.best[2])
                output_iteration = self.best[1]
                info.FinalValidationLoss = self.best[0]
                setattr(info, f"FinalValidation{name}", float(h["vmetric"][self.best[1] - 1]))
            else:
                vloss, vmetric = self.last_val
                if self.iteration and not math.isnan(h["vloss"][-1]):
                    vloss, vmetric = h["vloss"][-1], h["vmetric"][-1]
                info.FinalValidationLoss = vloss
                setattr(info, f"FinalValidation{name}", vmetric)
        info.OutputNetworkIteration = output_iteration
        if opts.BatchNormalizationStatistics in ("population", "auto") and self.iteration:
            population_statistics(self.net, self.source, opts, self.device)
        if plot is not None:
            plot.save(f"Training finished: {self.stop_reason}")
        self.call_output_fcns(lambda: self.state_struct("done"))
        self.net.eval()
        return self.net, info

    # ---- checkpoints -------------------------------------------------------------------------------

    def checkpoint(self):
        if not self.leader:
            return
        from .checkpoint import save_checkpoint

        save_checkpoint(self, self.options.CheckpointPath)


# ------------------------------------------------------------------------------------------------
# Shared set-up


def _check_batch_size(n: int, options: TrainingOptions, what="training data") -> None:
    if options.MiniBatchSize > n:
        raise TrainingError(
            f"Invalid {what}. The mini-batch size ({options.MiniBatchSize}) must not exceed the number of "
            f"observations ({n}). Set 'MiniBatchSize' to at most {n}."
        )


def _check_sequence_length(options: TrainingOptions, source: Source, net) -> None:
    """An integer SequenceLength splits mini-batches into chunks (Trainer._chunks); nothing to refuse."""
    return None


def _validation_source(options: TrainingOptions, io: NetIO, targets: Targets):
    vd = options.ValidationData
    if vd is None:
        return None
    if isinstance(vd, (list, tuple)):
        vx, vy = vd
    else:
        vx, vy = vd, None
    vsource = make_source(vx, vy, io, what="validation data")
    classes = targets.classes if targets.task == "classification" else None
    vtargets = make_targets(vsource, io, classes if classes is not None else None, what="validation data")
    if targets.task == "classification":
        vtargets.index = dict(targets.index)
        vtargets.classes = targets.classes
    encode_source_targets(vsource, vtargets, "validation data")
    return vsource, vtargets


def initialize_normalization(net, source: Source, options: TrainingOptions, echo) -> bool:
    """Compute and store input statistics when the input layer needs them; True when it did."""
    done = False
    for name in net.InputNames:
        layer = net._lg.graph.layer(name)
        if needs_statistics(layer, options.ResetInputNormalization):
            if not done and options.Verbose:
                echo("Initializing input data normalization.")
            seq = SeqOptions(options.SequenceLength, options.SequencePaddingDirection, options.SequencePaddingValue)
            set_input_statistics(net, name, compute_input_statistics(source, layer, seq, options.MiniBatchSize))
            done = True
    return done


def _parse_train_args(args, function: str):
    if len(args) == 4:
        return args
    if len(args) == 3:
        return (args[0], None, args[1], args[2])
    raise TrainingError(
        f"{function}: expected {function}(X, Y, layers, options) or {function}(ds, layers, options); "
        f"got {len(args)} arguments."
    )


def _options_arg(options, function: str) -> TrainingOptions:
    if not isinstance(options, TrainingOptions):
        raise TrainingError(f"{function}: the last argument must be training options created with trainingOptions.")
    _check_output_folders(options)
    return options


def _check_output_folders(options: TrainingOptions) -> None:
    """Before training starts: CheckpointPath is created and writable, the progress-plot folder writable."""
    from .checkpoint import check_writable_folder

    if options.CheckpointPath:
        check_writable_folder(options.CheckpointPath, "CheckpointPath", create=True)
    if options.Plots == "training-progress":
        from ..figures import figures_folder

        check_writable_folder(str(figures_folder()), "The training-progress plot folder (the figures folder: "
                              "set_figures_folder, --figures, LAYERGRAPH_FIGURES)", create=False)


def _build_for_training(layers, function: str):
    from ..graph import LayerGraph
    from ..layers.base import Layer
    from ..network import Network, _build

    if isinstance(layers, Network):
        if layers.kind != "assembled" and function == "trainNetwork":
            raise TrainingError("trainNetwork: the network has no output layer. Add a classificationLayer or "
                                "regressionLayer, or use trainnet with a loss function.")
        return copy.deepcopy(layers)
    if not isinstance(layers, (LayerGraph, list, tuple, Layer)) and getattr(layers, "layer_class", None) is None:
        raise TrainingError(f"Error using {function}\nLayers argument must be an array of layers or a layer graph.")
    try:
        return _own_tensors(_build(layers, target="trainNetwork", kind="assembled", function=function))
    except NetworkError as exc:
        raise TrainingError(str(exc)) from exc


@torch.no_grad()
def _own_tensors(net):
    """Give the network its own parameter/buffer storage, so training never writes into the caller's layers."""
    for module in net.modules():
        for name, p in list(module._parameters.items()):
            if p is not None:
                p.data = p.data.clone()
        for name, b in list(module._buffers.items()):
            if b is not None:
                module._buffers[name] = b.clone()
    return net


def _preamble(options, device, echo, world: int = 1):
    if not options.Verbose:
        return
    if world > 1:
        echo(f"Training on {world} {'GPUs' if device.type == 'cuda' else 'CPU processes'} (torch.distributed).")
    elif options.ExecutionEnvironment == "auto":   # MATLAB says which hardware it chose only when it chose
        echo(f"Training on single {'GPU' if device.type == 'cuda' else 'CPU'}.")


def _set_classes(net, targets: Targets):
    if targets.task != "classification":
        return
    name = net._lg.graph.OutputNames[0] if net.kind == "assembled" else None
    if name is not None:
        layer = net._lg.graph.layer(name)
        if "Classes" in layer.options() and layer.Classes == "auto":
            net.set_layer_values(name, Classes=[str(c) for c in targets.classes])
    net._lg.extra["classes"] = list(targets.classes)


# ------------------------------------------------------------------------------------------------
# trainNetwork


@matlab_function(outputs=("net", "info"), data_free=False)
def trainNetwork(*args, clock: Callable[[], float] | None = None):
    """``[net, info] = trainNetwork(X, Y, layers, options)`` or ``trainNetwork(ds, layers, options)``.

    ``X``: images N×C×H×W, volumes N×C×D×H×W, features N×C, or sequences (a list of T×C arrays);
    ``Y``: labels of any hashable type (classes in MATLAB's categorical order: sorted) for a
    classificationLayer, numbers for a regressionLayer; a list of label/response sequences for
    sequence-to-sequence networks. ``ds``: a torch Dataset or DataLoader of (x, y) pairs. ``layers``:
    a layer array, a LayerGraph, an assembled Network (training continues from its weights) or a
    checkpoint file written by CheckpointPath (training resumes where it stopped). ``clock``: a time
    source for the table (tests inject one).
    """
    from .checkpoint import Checkpoint, is_checkpoint, load_checkpoint

    X, Y, layers, options = _parse_train_args(args, "trainNetwork")
    options = _options_arg(options, "trainNetwork")
    resume = None
    if is_checkpoint(layers):
        resume = layers if isinstance(layers, Checkpoint) else load_checkpoint(layers)
        net = resume.network
    else:
        net = _build_for_training(layers, "trainNetwork")
    if options.ExecutionEnvironment in PARALLEL_ENVIRONMENTS:
        from .distributed import train_data_parallel

        return train_data_parallel(X, Y, net, options, clock=clock, style="trainNetwork", resume=resume)
    device = _device(options)
    return _train(X, Y, net, options, device=device, clock=clock, style="trainNetwork", resume=resume)


def _prepare(X, Y, net, options, *, style: str, loss_spec=None):
    """Check data/options against the network (all before the first iteration)."""
    if style == "trainNetwork":
        io = net_io(net)
        out_layer = net._lg.graph.layer(net._lg.graph.OutputNames[0])
        given = getattr(out_layer, "Classes", "auto") if io.task == "classification" else None
        if net._lg.extra.get("classes") is not None:
            given = net._lg.extra["classes"]
        source = make_source(X, Y, io)
        targets = make_targets(source, io, given)
        loss = LossAdaptor(net.loss, io.task, io.output_layout.has_time, options.SequencePaddingDirection,
                           "accuracy" if io.task == "classification" else "rmse")
    else:
        loss_fn, task = loss_spec
        io = net_io(net, task)
        source = make_source(X, Y, io)
        given = net._lg.extra.get("classes") if task == "classification" else None
        targets = make_targets(source, io, given)
        metric = _trainnet_metric(options, task)
        loss = LossAdaptor(loss_fn, task, io.output_layout.has_time, options.SequencePaddingDirection, metric)
    encode_source_targets(source, targets, "training data")
    source.background = source.background or bool(options.DispatchInBackground)
    _check_batch_size(len(source), options)
    _check_sequence_length(options, source, net)
    validation = _validation_source(options, io, targets)
    if options.OutputNetwork in ("best-validation-loss", "best-validation") and validation is None:
        raise TrainingError("OutputNetwork 'best-validation-loss' requires ValidationData.")
    return io, source, targets, loss, validation


def _train(X, Y, net, options, *, device, clock, style, resume=None, loss_spec=None, dist=None, echo=_echo):
    io, source, targets, loss, validation = _prepare(X, Y, net, options, style=style, loss_spec=loss_spec)
    if dist is None or dist[0] == 0:
        _preamble(options, device, echo, 1 if dist is None else dist[1])
    if resume is None:
        initialize_normalization(net, source, options, echo if (dist is None or dist[0] == 0) else (lambda *a: None))
    net = net.to(device)
    _set_classes(net, targets)
    if dist is not None:
        from torch.nn.parallel import DistributedDataParallel

        dist = DistContext(dist[0], dist[1], DistributedDataParallel(net))
    trainer = Trainer(net, source, targets, io, options, loss=loss, style=style, clock=clock,
                      validation=validation, device=device, dist=dist, echo=echo)
    if resume is not None:
        resume.restore(trainer)
    net, info = trainer.run()
    return net, info


# ------------------------------------------------------------------------------------------------
# trainnet


PARALLEL_ENVIRONMENTS = ("multi-gpu", "parallel", "parallel-cpu", "parallel-gpu", "parallel-auto")
LOSS_NAMES = ("crossentropy", "index-crossentropy", "binary-crossentropy", "mse", "mean-squared-error", "l2loss",
              "mae", "mean-absolute-error", "l1loss", "huber")


def trainnet_loss(name) -> tuple[Callable, str]:
    """MATLAB's trainnet loss names -> (loss(Y, T), task)."""
    from ..layers.output import classification_loss

    if callable(name) and not isinstance(name, str):
        return name, "regression"
    if not isinstance(name, str) or name.lower() not in LOSS_NAMES:
        raise TrainingError(
            f"trainnet: invalid loss function {name!r}. Expected one of " + ", ".join(f"'{n}'" for n in LOSS_NAMES)
            + ", or a function handle."
        )
    key = name.lower()
    if key in ("crossentropy", "index-crossentropy"):
        return (lambda y, t: classification_loss(y, t)), "classification"
    if key == "binary-crossentropy":
        def bce(y, t):
            eps = float(torch.finfo(y.dtype).eps)
            y = y.clamp(eps, 1 - eps)
            t = t.to(y.dtype).reshape(y.shape)
            return -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).sum() / y.shape[0]
        return bce, "regression"
    if key in ("mse", "mean-squared-error", "l2loss"):
        return (lambda y, t: ((y - t.to(y.dtype).reshape(y.shape)) ** 2).mean()), "regression"
    if key in ("mae", "mean-absolute-error", "l1loss"):
        return (lambda y, t: (y - t.to(y.dtype).reshape(y.shape)).abs().mean()), "regression"

    def huber(y, t):
        d = (y - t.to(y.dtype).reshape(y.shape)).abs()
        return torch.where(d <= 1, 0.5 * d * d, d - 0.5).sum() / y.shape[0]
    return huber, "regression"


def _trainnet_metric(options, task):
    names = [m for m in (options.Metrics or []) if isinstance(m, str)]
    if "accuracy" in names:
        return "accuracy" if task == "classification" else None
    if "rmse" in names:
        return "rmse"
    return None


@matlab_function(outputs=("netTrained", "info"), data_free=False)
def trainnet(*args, clock: Callable[[], float] | None = None):
    """``[netTrained, info] = trainnet(X, Y, net, lossFcn, options)`` or ``trainnet(ds, net, lossFcn, options)``.

    ``net``: a dlnetwork (or a layer array/graph without output layers). ``lossFcn``: 'crossentropy'
    (labels of any hashable type, classes sorted), 'binary-crossentropy', 'mse', 'mae', 'huber', or a
    callable ``loss(Y, T)``. Metrics "accuracy" / "rmse" add table columns.
    """
    from ..network import Network, dlnetwork

    if len(args) == 5:
        X, Y, net, loss_name, options = args
    elif len(args) == 4:
        X, net, loss_name, options = args
        Y = None
    else:
        raise TrainingError("trainnet: expected trainnet(X, Y, net, lossFcn, options) or trainnet(ds, net, lossFcn, options).")
    options = _options_arg(options, "trainnet")
    if isinstance(net, Network):
        if net.kind == "assembled":
            raise TrainingError(
                f"trainnet: the network must not have output layers; remove layer '{net._lg.graph.OutputNames[0]}' "
                "and pass the loss as a function (e.g. 'crossentropy')."
            )
        net = copy.deepcopy(net)
    else:
        try:
            net = _own_tensors(dlnetwork(net))
        except NetworkError as exc:
            raise TrainingError(str(exc)) from exc
    loss_spec = trainnet_loss(loss_name)
    if options.ExecutionEnvironment in PARALLEL_ENVIRONMENTS:
        from .distributed import train_data_parallel

        return train_data_parallel(X, Y, net, options, clock=clock, style="trainnet", loss_name=loss_name)
    device = _device(options)
    return _train(X, Y, net, options, device=device, clock=clock, style="trainnet", loss_spec=loss_spec)


__all__ = ["trainNetwork", "trainnet", "TrainingInfo", "Trainer", "LossAdaptor", "population_statistics",
           "set_input_statistics", "initialize_normalization"]
