"""MATLAB's solvers, written out: SGDM (velocity of learn-rate-scaled steps), Adam, RMSProp.

One step, for every learnable θ with learn-rate factor f and L2 factor k (global rate α, L2 λ):

1. g ← ∇θ + λ·k·θ                                  (coupled L2; biases have k = 0 by default)
2. gradient clipping ('l2norm' per parameter, 'global-l2norm', 'absolute-value')
3. SGDM:    v ← γ·v − α·f·g;  θ ← θ + v
   Adam:    m ← β1·m + (1−β1)·g;  s ← β2·s + (1−β2)·g²;
            θ ← θ − α·f·(√(1−β2ᵗ)/(1−β1ᵗ))·m/(√s + ε)
   RMSProp: s ← β2·s + (1−β2)·g²;  θ ← θ − α·f·g/(√s + ε)
"""

from __future__ import annotations

import math

import torch


class MatlabSolver:
    """The update rule of ``options.SolverName`` over ``(param, lr_factor, l2_factor)`` triples."""

    def __init__(self, params, options):
        self.params = [p for p, _, _ in params]
        self.lr_factors = [float(f) for _, f, _ in params]
        self.l2_factors = [float(k) for _, _, k in params]
        self.solver = options.SolverName
        self.l2 = float(options.L2Regularization)
        _check_single(self.l2 * max(self.l2_factors, default=0.0), "L2Regularization (times the L2 factors)")
        _check_single(float(options.InitialLearnRate) * max(self.lr_factors, default=0.0),
                      "InitialLearnRate (times the learn-rate factors)")
        self.threshold = float(options.GradientThreshold)
        self.method = options.GradientThresholdMethod
        if self.solver == "sgdm":
            self.momentum = float(options.Momentum)
        if self.solver == "adam":
            self.beta1 = float(options.GradientDecayFactor)
        if self.solver in ("adam", "rmsprop"):
            self.beta2 = float(options.SquaredGradientDecayFactor)
            self.eps = float(options.Epsilon)
        self.t = 0
        self.state: dict[str, list[torch.Tensor]] = {}
        if self.solver == "sgdm":
            self.state["velocity"] = [torch.zeros_like(p) for p in self.params]
        elif self.solver == "adam":
            self.state["m"] = [torch.zeros_like(p) for p in self.params]
            self.state["v"] = [torch.zeros_like(p) for p in self.params]
        else:
            self.state["v"] = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def gradients(self) -> list[torch.Tensor]:
        """Raw gradients + L2 term + clipping (steps 1 and 2)."""
        grads = []
        for p, k in zip(self.params, self.l2_factors):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            if self.l2 and k:
                g.add_(p.detach(), alpha=self.l2 * k)     # in place: the gradient buffer is ours
            grads.append(g)
        return clip_gradients(grads, self.method, self.threshold)

    @torch.no_grad()
    def step(self, lr: float) -> None:
        grads = self.gradients()
        self.t += 1
        if self.solver == "sgdm":
            for p, g, f, v in zip(self.params, grads, self.lr_factors, self.state["velocity"]):
                v.mul_(self.momentum).add_(g, alpha=-lr * f)
                p.add_(v)
        elif self.solver == "adam":
            shrink = math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
            for p, g, f, m, v in zip(self.params, grads, self.lr_factors, self.state["m"], self.state["v"]):
                m.mul_(self.beta1).add_(g, alpha=1 - self.beta1)
                v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
                if f:
                    p.addcdiv_(m, v.sqrt().add_(self.eps), value=-lr * f * shrink)
        else:
            for p, g, f, v in zip(self.params, grads, self.lr_factors, self.state["v"]):
                v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
                if f:
                    p.addcdiv_(g, v.sqrt().add_(self.eps), value=-lr * f)

    # ---- checkpoints -------------------------------------------------------------------------------

    def state_tensors(self) -> dict[str, torch.Tensor]:
        out = {}
        for key, tensors in self.state.items():
            for i, t in enumerate(tensors):
                out[f"solver.{key}.{i}"] = t.detach().cpu().contiguous()
        out["solver.t"] = torch.tensor([self.t], dtype=torch.int64)
        return out

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        from ..errors import TrainingError

        for key, current in self.state.items():
            for i, t in enumerate(current):
                name = f"solver.{key}.{i}"
                value = tensors.get(name)
                if value is None or tuple(value.shape) != tuple(t.shape) or not value.is_floating_point():
                    raise TrainingError(f"The checkpoint is damaged: solver state '{name}' is missing or has the wrong "
                                        f"size for this network (expected {tuple(t.shape)}).")
        step = tensors.get("solver.t")
        if step is None or step.numel() != 1 or step.is_floating_point() or int(step.reshape(-1)[0]) < 0:
            raise TrainingError("The checkpoint is damaged: solver step count 'solver.t' is missing or invalid.")
        for key, current in self.state.items():
            for i, t in enumerate(current):
                t.copy_(tensors[f"solver.{key}.{i}"])
        self.t = int(step.reshape(-1)[0])


def _check_single(value: float, what: str) -> None:
    """Refuse a step scale single precision cannot hold (MATLAB would compute Inf and NaN weights)."""
    from ..errors import TrainingError

    if not math.isfinite(value) or abs(value) > float(torch.finfo(torch.float32).max):
        raise TrainingError(f"{what} is {value:g}, beyond single precision (at most "
                            f"{float(torch.finfo(torch.float32).max):.4g}): training would only produce Inf and NaN.")


def clip_gradients(grads: list[torch.Tensor], method: str, threshold: float) -> list[torch.Tensor]:
    """MATLAB's three GradientThresholdMethod rules (no-op for an infinite threshold)."""
    if math.isinf(threshold):
        return grads
    if method == "absolute-value":
        return [g.clamp(-threshold, threshold) for g in grads]
    if method == "l2norm":
        out = []
        for g in grads:
            norm = float(torch.linalg.vector_norm(g))
            out.append(g * (threshold / norm) if norm > threshold else g)
        return out
    norm = float(torch.sqrt(sum((torch.linalg.vector_norm(g) ** 2 for g in grads), torch.tensor(0.0))))
    if norm > threshold:
        return [g * (threshold / norm) for g in grads]
    return grads


def piecewise_rate(options, epoch: int) -> float:
    """Base learning rate of (1-based) ``epoch``: α0·F^floor((e−1)/P) for 'piecewise', else α0."""
    rate = float(options.InitialLearnRate)
    if options.LearnRateSchedule == "piecewise":
        rate *= float(options.LearnRateDropFactor) ** ((epoch - 1) // int(options.LearnRateDropPeriod))
    return rate


__all__ = ["MatlabSolver", "clip_gradients", "piecewise_rate"]
