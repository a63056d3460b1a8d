"""The shared per-layer harness: run for every registered layer through its example cases."""

from __future__ import annotations

import math

import pytest
import torch

from layergraph.errors import OptionError
from layergraph.layers import REGISTRY, make_constructor
from layergraph.layers.base import learnable_values

from layer_cases import all_cases

CASES = all_cases()


def test_every_registered_layer_has_a_case():
    covered = {c.constructor for c in CASES}
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"layers without a harness case: {missing}"


def _construct(case):
    return make_constructor(REGISTRY[case.constructor])(*case.args, **case.kwargs)


def _sample(layout, case, batch=2, time=5):
    shape = layout.torch_shape(batch, time)
    if case.input_kind.startswith("index:"):
        high = int(case.input_kind.split(":")[1])
        return torch.randint(1, high + 1, shape).to(torch.float64)
    return torch.randn(shape, dtype=torch.float64)


@pytest.mark.parametrize("case", CASES, ids=[c.label() for c in CASES])
def test_constructor_forms_agree(case):
    ctor = make_constructor(REGISTRY[case.constructor])
    by_keywords = ctor(*case.args, **case.kwargs)
    pairs = []
    for key, value in case.kwargs.items():
        pairs += [key.lower(), value]           # MATLAB names are case-insensitive
    by_pairs = ctor(*case.args, *pairs)
    assert by_keywords == by_pairs
    named = ctor(*case.args, *pairs, "Name", "layer_x")
    assert named.Name == "layer_x"
    if not case.args and not any(o.required for o in REGISTRY[case.constructor].options().values()):
        assert ctor() == REGISTRY[case.constructor]()


@pytest.mark.parametrize("case", CASES, ids=[c.label() for c in CASES])
def test_unknown_option_names_layer_and_option(case):
    ctor = make_constructor(REGISTRY[case.constructor])
    with pytest.raises(OptionError) as err:
        ctor(*case.args, "NoSuchOptionXyz", 1)
    assert case.constructor in str(err.value) and "NoSuchOptionXyz" in str(err.value)


@pytest.mark.parametrize("case", CASES, ids=[c.label() for c in CASES])
def test_inferred_sizes_match_forward_and_learnable_count(case):
    layer = _construct(case)
    inputs = list(case.inputs)
    outs = layer.infer(inputs)
    sizes = layer.learnable_sizes(inputs)
    count = sum(math.prod(s) for s in sizes.values())
    if case.learnables is not None:
        assert count == case.learnables
    module = layer.build(inputs).double()
    module.eval()
    xs = [_sample(layout, case) for layout in inputs]
    if layer.IS_OUTPUT:
        assert outs == []
        return
    if layer.IS_INPUT:
        layout = outs[0]
        y = module(_sample(layout, case))
        assert tuple(y.shape) == layout.torch_shape(2, 5)
        return
    ys = module(*xs)
    ys = ys if isinstance(ys, tuple) else (ys,)
    assert len(ys) == len(outs) == len(layer.output_names())
    for y, layout in zip(ys, outs):
        if not torch.is_floating_point(y):
            continue
        assert tuple(y.shape) == layout.torch_shape(2, 5), (tuple(y.shape), layout)


@pytest.mark.parametrize("case", CASES, ids=[c.label() for c in CASES])
def test_learnables_round_trip_matlab_layout(case):
    layer = _construct(case)
    inputs = list(case.inputs)
    sizes = layer.learnable_sizes(inputs)
    torch_values = learnable_values(layer, inputs)
    for prop, shape in sizes.items():
        back = layer.from_torch(prop, torch_values[prop], inputs)
        assert tuple(back.shape) == tuple(shape)
        again = layer.to_torch(prop, back, inputs)
        assert torch.equal(again, torch_values[prop])


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck and c.inputs], ids=lambda c: c.label())
def test_gradients_match_finite_differences(case):
    torch.manual_seed(0)
    layer = _construct(case)
    module = layer.build(list(case.inputs)).double()
    module.eval()
    xs = tuple(_sample(layout, case, batch=2, time=3).requires_grad_(True) for layout in case.inputs)

    def f(*args):
        out = module(*args)
        return out if isinstance(out, tuple) else (out,)

    assert torch.autograd.gradcheck(lambda *a: tuple(o for o in f(*a) if torch.is_floating_point(o)), xs,
                                    eps=1e-6, atol=1e-5)
