"""MATLAB's random numbers (rng, rand, randi, randperm, randn): expectations are the outputs MathWorks
prints in the rand/randi/randperm reference pages (after ``rng default``, MATLAB's start-up state), and
mt19937ar's published definition."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph.functions import FUNCTIONS
from layergraph.matlab import port
from layergraph.matlab.base import random as R
from layergraph.matlab.base._common import MatlabRuntimeError
from layergraph.matlab.values import Struct

# base functions this file tests (read by test_matlab_base_registry)
EXTRA_TESTED = ('rng', 'rand', 'randn', 'randi', 'randperm')


def test_rand_after_rng_default_is_matlabs_stream():
    R.rng("default")
    np.testing.assert_allclose(R.rand(1, 3), [[0.8147, 0.9058, 0.1270]], atol=5e-5)
    # rand reference page: r = rand(5) after rng default, printed to 4 decimals, column-major fill
    R.rng("default")
    expected = np.array([
        [0.8147, 0.0975, 0.1576, 0.1419, 0.6557],
        [0.9058, 0.2785, 0.9706, 0.4218, 0.0357],
        [0.1270, 0.5469, 0.9572, 0.9157, 0.8491],
        [0.9134, 0.9575, 0.4854, 0.7922, 0.9340],
        [0.6324, 0.9649, 0.8003, 0.9595, 0.6787]])
    np.testing.assert_allclose(R.rand(5), expected, atol=5e-5)
    # r = a + (b-a).*rand(n,1) with a=-5, b=5, n=10
    R.rng(0)
    r = -5 + 10 * R.rand(10, 1)
    np.testing.assert_allclose(r[:, 0], [3.1472, 4.0579, -3.7301, 4.1338, 1.3236, -4.0246, -2.2150, 0.4688,
                                         4.5751, 4.6489], atol=5e-5)


def test_rng_seed_one_is_mt19937ar_init_genrand():
    # mt19937ar seeded with init_genrand(1): first double (genrand_res53) 0.417022004702574
    R.rng(1)
    assert abs(R.rand()[0, 0] - 0.417022004702574) < 1e-15
    R.rng(1, "twister")
    assert abs(R.rand()[0, 0] - 0.417022004702574) < 1e-15


def test_randi_is_matlabs_integers():
    R.rng("default")
    assert R.randi(10, 1, 5).tolist() == [[9, 10, 2, 10, 7]]
    R.rng("default")
    r = R.randi(10, 5)
    assert r.tolist() == [[9, 1, 2, 2, 7], [10, 3, 10, 5, 1], [2, 6, 10, 10, 9], [10, 10, 5, 8, 10],
                          [7, 10, 9, 10, 7]]
    R.rng("default")
    assert R.randi(np.array([[-5.0, 5.0]]), 10, 1)[:, 0].tolist() == [3, 4, -4, 5, 1, -4, -2, 1, 5, 5]
    R.rng("default")
    assert R.randi(np.array([[10.0, 50.0]]), 1, 5).tolist() == [[43, 47, 15, 47, 35]]


def test_randperm_is_matlabs_permutation():
    R.rng("default")
    assert R.randperm(6).tolist() == [[6, 3, 5, 1, 2, 4]]
    R.rng("default")
    s = R.rng()
    assert R.randperm(8).tolist() == [[6, 3, 7, 8, 5, 1, 2, 4]]
    R.rng(s)
    assert R.randperm(8).tolist() == [[6, 3, 7, 8, 5, 1, 2, 4]]


def test_randperm_n_k_gives_distinct_integers():
    R.rng(3)
    p = R.randperm(20, 7)
    assert p.shape == (1, 7) and len(set(p.reshape(-1).tolist())) == 7 and p.min() >= 1 and p.max() <= 20
    with pytest.raises(MatlabRuntimeError):
        R.randperm(3, 4)


def test_settings_struct_and_restore():
    R.rng("default")
    s = R.rng()
    assert isinstance(s, Struct) and s.fields["Type"] == "twister" and s.fields["Seed"][0, 0] == 0
    assert s.fields["State"].shape == (625, 1) and s.fields["State"].dtype == np.uint32
    a = R.rand(1, 5)
    np.testing.assert_allclose(a, [[0.8147, 0.9058, 0.1270, 0.9134, 0.6324]], atol=5e-5)
    R.rng(s)
    assert np.array_equal(R.rand(1, 5), a)
    # sprev = rng(seed) returns the settings before the change
    R.rng(7)
    prev = R.rng(2)
    assert prev.fields["Seed"][0, 0] == 7 and R.rng().fields["Seed"][0, 0] == 2
    assert R.rng(5, nargout=0) is None


def test_sizes_classes_and_like():
    R.rng(0)
    assert R.rand().shape == (1, 1)
    assert R.rand(3).shape == (3, 3)
    assert R.rand(2, 3, 4).shape == (2, 3, 4)
    assert R.rand(np.array([[2.0, 3.0, 1.0]])).shape == (2, 3)
    assert R.rand(2, 3, 1, 1).shape == (2, 3)
    assert R.rand(-1, 3).shape == (0, 3)
    assert R.rand(2, "single").dtype == np.float32
    assert R.rand(2, "like", np.zeros((1, 1), dtype=np.float32)).dtype == np.float32
    assert R.randn(2, 2, "double").dtype == np.float64
    x = R.randi(np.array([[-3.0, 3.0]]), 4, 4, "int8")
    assert x.dtype == np.int8 and x.min() >= -3 and x.max() <= 3
    assert R.randi(1, 2, 3).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert R.randi(np.array([[0.0, 1.0]]), 1, 50, "logical").dtype == bool
    with pytest.raises(MatlabRuntimeError, match="Size inputs must be integers"):
        R.rand(1.5)
    with pytest.raises(MatlabRuntimeError):
        R.rand(2, "int8")
    with pytest.raises(MatlabRuntimeError):
        R.randi(300, 1, 2, "int8")
    with pytest.raises(MatlabRuntimeError):
        R.randi(np.array([[5.0, 1.0]]))
    with pytest.raises(MatlabRuntimeError, match="exceeds the maximum"):
        R.rand(10**6, 10**6)


def test_randn_is_reproducible_standard_normal():
    R.rng(4)
    a = R.randn(1, 4000)
    R.rng(4)
    assert np.array_equal(R.randn(1, 4000), a)
    assert abs(a.mean()) < 0.1 and abs(a.std() - 1) < 0.1


def test_bad_rng_arguments():
    for bad in (-1, 1.5, 2**32):
        with pytest.raises(MatlabRuntimeError, match="seed"):
            R.rng(bad)
    with pytest.raises(MatlabRuntimeError, match="philox"):
        R.rng(1, "philox")
    with pytest.raises(MatlabRuntimeError):
        R.rng("nonsense")


def test_rng_seeds_torch():
    R.rng(3)
    a = torch.rand(3)
    R.rng(3)
    assert torch.equal(torch.rand(3), a)
    R.rng("default")
    assert torch.initial_seed() == 0


def test_registered_as_base_functions_and_used_by_the_interpreter():
    for name in ("rng", "rand", "randn", "randi", "randperm"):
        assert FUNCTIONS[name].base
    w = port("rng default\nx = rand(1,3);\nrng(0)\ny = randi(10,1,5);\ns = rng;\nz = rand(2,'single');\n").workspace
    np.testing.assert_allclose(w["x"], [[0.8147, 0.9058, 0.1270]], atol=5e-5)
    assert w["y"].tolist() == [[9, 10, 2, 10, 7]]
    assert w["z"].dtype == np.float32
    assert isinstance(w["s"], Struct) and w["s"].fields["Type"] == "twister"


def test_interpreter_starts_at_matlabs_start_up_state():
    w = port("x = rand(1, 2);\n").workspace
    np.testing.assert_allclose(w["x"], [[0.8147, 0.9058]], atol=5e-5)


def test_errors_in_scripts_are_located():
    from layergraph.errors import MatlabPortError

    with pytest.raises(MatlabPortError, match=r"<string>:2:1: rng: The seed must be a nonnegative integer"):
        port("x = 1;\nrng(-1)\n")


def test_legacy_seed_syntax_seeds_the_twister():
    # rand('seed', 1) / randn('state', 1): reproducible; the stream is rng(1)'s (MATLAB's legacy generators differ)
    assert R.rand("seed", 1) is None
    a = R.rand(1, 3)
    R.rng(1)
    assert np.array_equal(R.rand(1, 3), a)
    R.randn("state", 5)
    b = R.randn(1, 2)
    R.randn("state", 5)
    assert np.array_equal(R.randn(1, 2), b)
    with pytest.raises(MatlabRuntimeError):
        R.rand("seed")
