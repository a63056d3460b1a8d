"""MATLAB's training semantics, each pinned: iterations per epoch, shuffling, input normalization,
validation/patience/OutputNetwork, batch-norm population statistics, NaN stop, OutputFcn, sequences."""

import math

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, DataLoader

from layergraph import (
    batchNormalizationLayer, classificationLayer, featureInputLayer, fullyConnectedLayer, imageInputLayer,
    lstmLayer, regressionLayer, reluLayer, sequenceInputLayer, softmaxLayer, dlnetwork,
)
from layergraph.training import activations, classify, predict, trainingOptions, trainNetwork, trainnet
from layergraph.training.data import SeqOptions, categorical_order, pad_sequences


def quiet(solver="sgdm", **kw):
    kw.setdefault("Verbose", False)
    return trainingOptions(solver, **kw)


def two_class(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    y = np.where((X[:, 0] + X[:, 1]).numpy() > 0, "yes", "no")
    return X, y


def mlp(k=2, features=2, **input_opts):
    return [featureInputLayer(features, **input_opts), fullyConnectedLayer(k), softmaxLayer, classificationLayer]


class LoggingDataset(Dataset):
    def __init__(self, X, y):
        self.X, self.y, self.log = X, list(y), []
        self.targets = self.y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        self.log.append(i)
        return self.X[i], self.y[i]


def orders(shuffle, n=10, bs=3, epochs=3):
    X, y = two_class(n)
    ds = LoggingDataset(X, y)
    trainNetwork(ds, mlp(), quiet(MaxEpochs=epochs, MiniBatchSize=bs, Shuffle=shuffle, BatchNormalizationStatistics="moving"))
    log = ds.log[1:]                                   # the first read checks the observation size
    per_epoch = (n // bs) * bs
    return [log[e * per_epoch:(e + 1) * per_epoch] for e in range(epochs)], log


def test_iterations_per_epoch_is_floor_n_over_batch():
    X, y = two_class(10)
    _, info = trainNetwork(X, y, mlp(), quiet(MaxEpochs=3, MiniBatchSize=3))
    assert len(info.TrainingLoss) == 9                 # floor(10/3) = 3 per epoch


def test_shuffle_never_once_every_epoch():
    never, log = orders("never")
    assert never == [list(range(9))] * 3 and len(log) == 27
    once, _ = orders("once")
    assert once[0] == once[1] == once[2] and once[0] != list(range(9)) and len(set(once[0])) == 9
    every, _ = orders("every-epoch")
    assert len({tuple(e) for e in every}) == 3


def test_dataloader_as_datastore_uses_options_batch_size():
    X, y = two_class(12)
    loader = DataLoader(LoggingDataset(X, y), batch_size=5)
    _, info = trainNetwork(loader, mlp(), quiet(MaxEpochs=2, MiniBatchSize=4))
    assert len(info.TrainingLoss) == 6


def test_classes_in_categorical_order_for_any_hashable_labels():
    assert categorical_order(["b", "a", "B", "a"]) == ["B", "a", "b"]
    assert categorical_order([10, 2, 33, 2]) == [2, 10, 33]
    assert categorical_order([(1, 2), (0, 5)]) == [(0, 5), (1, 2)]
    X, _ = two_class(30)
    labels = [3 if v > 0 else 11 for v in X[:, 0].tolist()]
    net, _ = trainNetwork(X, labels, mlp(), quiet(MaxEpochs=1, MiniBatchSize=10))
    assert list(net.Layers[-1].Classes) == ["3", "11"]
    yp, scores = classify(net, X)
    assert set(yp.tolist()) <= {3, 11} and yp.dtype.kind == "i" and scores.shape == (30, 2)


def test_zscore_features_statistics_stored_in_input_layer_and_applied():
    g = torch.Generator().manual_seed(1)
    X = torch.randn(50, 3, generator=g) * torch.tensor([1.0, 5.0, 0.2]) + torch.tensor([3.0, -2.0, 10.0])
    y = np.array(["a", "b"])[(X[:, 0] > 3).long()]
    net, _ = trainNetwork(X, y, mlp(features=3, Normalization="zscore"), quiet(MaxEpochs=1, MiniBatchSize=10))
    layer = net.Layers[0]
    x64 = X.double().numpy()
    np.testing.assert_allclose(layer.Mean.numpy().reshape(-1), x64.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.StandardDeviation.numpy().reshape(-1), x64.std(0), rtol=1e-4)
    act = activations(net, X[:4], net.Layers[0].Name)
    np.testing.assert_allclose(act, (x64[:4] - x64.mean(0)) / x64.std(0), rtol=1e-4, atol=1e-5)


def test_zerocenter_image_mean_per_channel_and_reset_false_keeps_given_mean():
    g = torch.Generator().manual_seed(2)
    X = torch.rand(20, 2, 4, 4, generator=g) + torch.tensor([0.0, 5.0]).reshape(1, 2, 1, 1)
    Y = X.mean((1, 2, 3)).unsqueeze(1)
    layers = [imageInputLayer([4, 4, 2]), fullyConnectedLayer(1), regressionLayer]
    net, _ = trainNetwork(X, Y, layers, quiet(MaxEpochs=1, MiniBatchSize=5))
    mean = net.Layers[0].Mean
    assert tuple(mean.shape) == (1, 1, 2)
    np.testing.assert_allclose(mean.numpy().reshape(-1), X.double().mean((0, 2, 3)).numpy(), rtol=1e-5)
    given = [imageInputLayer([4, 4, 2], Mean=torch.full((1, 1, 2), 7.0)), fullyConnectedLayer(1), regressionLayer]
    net2, _ = trainNetwork(X, Y, given, quiet(MaxEpochs=1, MiniBatchSize=5, ResetInputNormalization=False))
    np.testing.assert_allclose(net2.Layers[0].Mean.numpy().reshape(-1), [7.0, 7.0])


def test_rescale_statistics():
    X = torch.tensor([[0.0, -1.0], [2.0, 3.0], [1.0, 1.0], [4.0, 0.0]])
    y = ["a", "b", "a", "b"]
    net, _ = trainNetwork(X, y, mlp(Normalization="rescale-zero-one"), quiet(MaxEpochs=1, MiniBatchSize=2))
    np.testing.assert_allclose(net.Layers[0].Min.numpy().reshape(-1), [0.0, -1.0])
    np.testing.assert_allclose(net.Layers[0].Max.numpy().reshape(-1), [4.0, 3.0])


def test_validation_patience_and_best_validation_network():
    X, y = two_class(40)
    flipped = np.where(y == "yes", "no", "yes")        # validation labels disagree with training
    opts = quiet(MaxEpochs=20, MiniBatchSize=10, InitialLearnRate=0.5, ValidationData=(X, flipped),
                 ValidationFrequency=1, ValidationPatience=3, OutputNetwork="best-validation-loss", Shuffle="never")
    net, info = trainNetwork(X, y, mlp(), opts)
    assert info.StopReason == "Met validation criterion"
    assert len(info.TrainingLoss) == 4                  # best at 1, then 3 validations not better
    assert info.OutputNetworkIteration == 1
    assert info.FinalValidationLoss == pytest.approx(info.ValidationLoss[0])
    assert np.all(np.diff(info.ValidationLoss) > 0)


def test_default_output_network_is_auto_best_validation_with_validation_data_else_last():
    X, y = two_class(40)
    flipped = np.where(y == "yes", "no", "yes")        # validation loss rises as training succeeds
    opts = quiet(MaxEpochs=2, MiniBatchSize=10, InitialLearnRate=0.5, ValidationData=(X, flipped),
                 ValidationFrequency=1, Shuffle="never")
    assert opts.OutputNetwork == "auto"
    _, info = trainNetwork(X, y, mlp(), opts)
    best = int(np.nanargmin(info.ValidationLoss)) + 1
    assert best < len(info.TrainingLoss) and info.OutputNetworkIteration == best
    _, info = trainNetwork(X, y, mlp(), quiet(MaxEpochs=2, MiniBatchSize=10, Shuffle="never"))
    assert info.OutputNetworkIteration == len(info.TrainingLoss) == 8


def test_last_iteration_network_and_final_validation():
    X, y = two_class(40)
    opts = quiet(MaxEpochs=2, MiniBatchSize=10, ValidationData=(X[:20], y[:20]), ValidationFrequency=3,
                 OutputNetwork="last-iteration")
    net, info = trainNetwork(X, y, mlp(), opts)
    assert info.OutputNetworkIteration == 8
    assert np.flatnonzero(~np.isnan(info.ValidationLoss)).tolist() == [0, 2, 5, 7]
    assert info.FinalValidationLoss == pytest.approx(info.ValidationLoss[-1])
    yp, _ = classify(net, X[:20])
    assert info.FinalValidationAccuracy == pytest.approx(100 * np.mean(yp == y[:20]))


def _bn_net():
    return [featureInputLayer(3), fullyConnectedLayer(4, Name="fc1"), batchNormalizationLayer(Name="bn"), reluLayer,
            fullyConnectedLayer(2), softmaxLayer, classificationLayer]


def test_batchnorm_population_statistics_from_an_extra_pass():
    g = torch.Generator().manual_seed(4)
    X = torch.randn(60, 3, generator=g) * 3 + 1
    y = np.array(["p", "q"])[(X[:, 0] > 1).long()]
    net, _ = trainNetwork(X, y, _bn_net(), quiet(MaxEpochs=2, MiniBatchSize=16))
    h = activations(net, X, "fc1").astype(np.float64)
    bn = net.Layers[2]
    np.testing.assert_allclose(bn.TrainedMean.numpy().reshape(-1), h.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.TrainedVariance.numpy().reshape(-1), h.var(0), rtol=1e-4, atol=1e-5)
    net2, _ = trainNetwork(X, y, _bn_net(), quiet(MaxEpochs=2, MiniBatchSize=16, BatchNormalizationStatistics="moving"))
    h2 = activations(net2, X, "fc1").astype(np.float64)
    assert not np.allclose(net2.Layers[2].TrainedMean.numpy().reshape(-1), h2.mean(0), rtol=1e-3)


def test_nan_loss_stops_and_returns_last_good_network(capsys):
    g = torch.Generator().manual_seed(5)
    X = torch.randn(40, 2, generator=g)
    Y = (X[:, :1] * 3)
    seen = []
    opts = trainingOptions("sgdm", MaxEpochs=50, MiniBatchSize=10, InitialLearnRate=1e3, Momentum=0.9,
                           OutputFcn=lambda s: seen.append(s.TrainingLoss) and False, VerboseFrequency=1000)
    net, info = trainNetwork(X, Y, [featureInputLayer(2), fullyConnectedLayer(1), regressionLayer], opts)
    out = capsys.readouterr().out
    assert info.StopReason in ("Training loss is NaN", "Training loss is Inf")
    assert f"Training finished: {info.StopReason}." in out
    assert np.isfinite(info.TrainingLoss).all()
    w = net.Layers[1].Weights
    assert torch.isfinite(w).all()
    assert info.OutputNetworkIteration == len(info.TrainingLoss) - 1
    # the returned weights reproduce the last finite loss
    yhat = predict(net, X[:10])
    assert np.isfinite(yhat).all()


def test_output_fcn_states_and_stop():
    X, y = two_class(40)
    states = []

    def fn(s):
        states.append((s.State, s.Iteration))
        return s.State == "iteration" and s.Iteration == 3

    _, info = trainNetwork(X, y, mlp(), quiet(MaxEpochs=5, MiniBatchSize=10, OutputFcn=fn))
    assert info.StopReason == "Stopped by OutputFcn" and len(info.TrainingLoss) == 3
    assert states[0] == ("start", 0) and states[-1] == ("done", 3)
    assert [s for s in states if s[0] == "iteration"] == [("iteration", i) for i in (1, 2, 3)]


def test_loss_drops_on_separable_data_and_accuracy_column():
    X, y = two_class(80)
    _, info = trainNetwork(X, y, mlp(), quiet(MaxEpochs=8, MiniBatchSize=20, InitialLearnRate=0.3))
    assert info.TrainingLoss[-4:].mean() < info.TrainingLoss[:4].mean()
    assert set(np.unique(info.TrainingAccuracy)) <= {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75,
                                                       80, 85, 90, 95, 100}


# ---- sequences -------------------------------------------------------------------------------------


def test_pad_sequences_directions_and_shortest():
    a = torch.tensor([[1.0], [2.0], [3.0]])
    b = torch.tensor([[4.0]])
    x, lengths, t = pad_sequences([a, b], SeqOptions("longest", "right", -1.0))
    assert t == 3 and lengths == [3, 1]
    assert x[:, :, 0].tolist() == [[1, 2, 3], [4, -1, -1]]
    x, _, _ = pad_sequences([a, b], SeqOptions("longest", "left", 0.0))
    assert x[:, :, 0].tolist() == [[1, 2, 3], [0, 0, 4]]
    x, _, t = pad_sequences([a, b], SeqOptions("shortest", "right", 0.0))
    assert t == 1 and x[:, :, 0].tolist() == [[1], [4]]
    x, _, _ = pad_sequences([a, b], SeqOptions("shortest", "left", 0.0))
    assert x[:, :, 0].tolist() == [[3], [4]]


def _seqs(n=40, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((int(rng.integers(4, 12)), 3)).astype(np.float32) for _ in range(n)]
    ys = ["up" if s[:, 0].sum() > 0 else "down" for s in xs]
    return xs, ys


def test_sequence_to_label_with_padding_per_mini_batch():
    xs, ys = _seqs()
    layers = [sequenceInputLayer(3), lstmLayer(8, OutputMode="last"), fullyConnectedLayer(2), softmaxLayer,
              classificationLayer]
    net, info = trainNetwork(xs, ys, layers, quiet("adam", MaxEpochs=4, MiniBatchSize=8, InitialLearnRate=0.01))
    assert len(info.TrainingLoss) == 20 and np.isfinite(info.TrainingLoss).all()
    yp, scores = classify(net, xs, MiniBatchSize=8)
    assert scores.shape == (40, 2) and set(yp) <= {"up", "down"}
    # predictions depend on the padding of each mini-batch (MATLAB does not mask)
    alone, _ = classify(net, xs[:2], MiniBatchSize=1)
    together = predict(net, xs[:2], MiniBatchSize=2)
    single = predict(net, xs[:2], MiniBatchSize=1)
    if len(xs[0]) != len(xs[1]):
        assert not np.allclose(together, single)


def test_sequence_to_sequence_classification_and_regression():
    xs, _ = _seqs(24)
    labels = [np.where(s[:, 0] > 0, "pos", "neg") for s in xs]
    layers = [sequenceInputLayer(3), lstmLayer(6), fullyConnectedLayer(2), softmaxLayer, classificationLayer]
    net, info = trainNetwork(xs, labels, layers, quiet("adam", MaxEpochs=3, MiniBatchSize=6, InitialLearnRate=0.02))
    yp, scores = classify(net, xs[:5], MiniBatchSize=5)
    assert [len(p) for p in yp] == [len(s) for s in xs[:5]]
    assert [s.shape for s in scores] == [(len(s), 2) for s in xs[:5]]
    assert np.isfinite(info.TrainingAccuracy).all()

    targets = [np.cumsum(s[:, :1], 0) for s in xs]
    layers = [sequenceInputLayer(3), lstmLayer(6), fullyConnectedLayer(1), regressionLayer]
    net, info = trainNetwork(xs, targets, layers, quiet("adam", MaxEpochs=3, MiniBatchSize=6,
                                                         SequencePaddingDirection="left"))
    out = predict(net, xs[:3], SequencePaddingDirection="left")
    assert [o.shape for o in out] == [(len(s), 1) for s in xs[:3]]


def test_trainnet_losses_and_dlnetwork():
    X, y = two_class(60)
    net = dlnetwork([featureInputLayer(2), fullyConnectedLayer(2), softmaxLayer])
    trained, info = trainnet(X, y, net, "crossentropy", quiet(MaxEpochs=6, MiniBatchSize=10, InitialLearnRate=0.3))
    assert info.TrainingLoss[-3:].mean() < info.TrainingLoss[:3].mean()
    assert trained.kind == "dlnetwork"
    from layergraph.training import minibatchpredict, scores2label, testnet

    scores = minibatchpredict(trained, X)
    labels, best = scores2label(scores, ["no", "yes"])
    assert labels.shape == (60, 1) and np.allclose(best, scores.max(1))   # MATLAB: an N×1 categorical
    acc = testnet(trained, X, y, "accuracy")
    assert acc == pytest.approx(100 * np.mean(labels == y))
    # regression losses, and a callable
    Y = X[:, :1] * 2 - 1
    reg = dlnetwork([featureInputLayer(2), fullyConnectedLayer(1)])
    for loss in ("mse", "huber", "mae", lambda yy, tt: ((yy - tt) ** 2).mean()):
        _, info = trainnet(X, Y, reg, loss, quiet(MaxEpochs=5, MiniBatchSize=10, InitialLearnRate=0.05))
        assert info.TrainingLoss[-1] < info.TrainingLoss[0]
    mse = testnet(reg, X, Y, ["mse", "rmse"])
    assert mse[1] == pytest.approx(math.sqrt(mse[0]))


def test_training_leaves_the_given_layers_unchanged():
    X, y = two_class(20)
    W = torch.tensor([[0.1, -0.2], [0.3, 0.4]])
    layers = [featureInputLayer(2), fullyConnectedLayer(2, Weights=W.clone(), Bias=torch.zeros(2, 1)), softmaxLayer,
              classificationLayer]
    net1, _ = trainNetwork(X, y, layers, quiet(MaxEpochs=2, MiniBatchSize=5, Shuffle="never"))
    assert torch.equal(layers[1].Weights, W)
    net2, _ = trainNetwork(X, y, layers, quiet(MaxEpochs=2, MiniBatchSize=5, Shuffle="never"))
    assert torch.equal(net1.Layers[1].Weights, net2.Layers[1].Weights)
    assert not torch.equal(net1.Layers[1].Weights, W)


def test_volumes_and_dataset_validation_data():
    from layergraph import image3dInputLayer

    g = torch.Generator().manual_seed(8)
    X = torch.rand(24, 2, 4, 5, 3, generator=g)          # torch layout of the engine: N×C×H×W×D
    y = np.where(X[:, 0].mean((1, 2, 3)).numpy() > 0.5, "hi", "lo")
    layers = [image3dInputLayer([4, 5, 3, 2]), fullyConnectedLayer(2), softmaxLayer, classificationLayer]
    val = LoggingDataset(X[:8], y[:8])
    net, info = trainNetwork(X, y, layers, quiet(MaxEpochs=2, MiniBatchSize=6, ValidationData=val,
                                                  ValidationFrequency=2))
    assert tuple(net.Layers[0].Mean.shape)[-1] == 2
    np.testing.assert_allclose(net.Layers[0].Mean.numpy().reshape(-1), X.double().mean((0, 2, 3, 4)).numpy(), rtol=1e-5)
    assert np.isfinite(info.ValidationLoss[[0, 1, 3, 5, 7]]).all()
    yp, scores = classify(net, X)
    assert scores.shape == (24, 2)
