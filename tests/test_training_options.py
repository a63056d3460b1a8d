import math

import pytest

from layergraph.errors import TrainingError
from layergraph.training import trainingOptions


def test_sgdm_defaults():
    o = trainingOptions("sgdm")
    assert o.SolverName == "sgdm"
    expected = dict(Momentum=0.9, InitialLearnRate=0.01, MaxEpochs=30, LearnRateSchedule="none",
                    LearnRateDropFactor=0.1, LearnRateDropPeriod=10, MiniBatchSize=128, Shuffle="once",
                    L2Regularization=1e-4, GradientThresholdMethod="l2norm", GradientThreshold=math.inf,
                    Verbose=True, VerboseFrequency=50, ValidationData=None, ValidationFrequency=50,
                    ValidationPatience=math.inf, ExecutionEnvironment="auto", SequenceLength="longest",
                    SequencePaddingDirection="right", SequencePaddingValue=0, CheckpointPath="",
                    CheckpointFrequency=1, CheckpointFrequencyUnit="epoch", OutputNetwork="auto",
                    ResetInputNormalization=True, BatchNormalizationStatistics="auto", OutputFcn=None,
                    Plots="none")
    for k, v in expected.items():
        assert getattr(o, k) == v, k


def test_adam_and_rmsprop_defaults():
    a = trainingOptions("adam")
    assert (a.GradientDecayFactor, a.SquaredGradientDecayFactor, a.Epsilon, a.InitialLearnRate) == (0.9, 0.999, 1e-8, 0.001)
    r = trainingOptions("RMSProp")
    assert (r.SquaredGradientDecayFactor, r.Epsilon, r.InitialLearnRate) == (0.9, 1e-8, 0.001)
    with pytest.raises(AttributeError):
        r.Momentum


def test_name_value_pairs_keywords_and_case():
    o = trainingOptions("sgdm", "maxepochs", 4, "MiniBatchSize", 16.0, InitialLearnRate=0.5, shuffle="EVERY-EPOCH")
    assert (o.MaxEpochs, o.MiniBatchSize, o.InitialLearnRate, o.Shuffle) == (4, 16, 0.5, "every-epoch")
    assert isinstance(o.MiniBatchSize, int)
    o.MaxEpochs = 7
    assert o.MaxEpochs == 7


def test_unknown_option_message_with_closest_name():
    with pytest.raises(TrainingError) as e:
        trainingOptions("sgdm", "InitalLearnRate", 0.1)
    assert str(e.value) == "'InitalLearnRate' is not an option for solver 'sgdm'. Did you mean 'InitialLearnRate'?"
    with pytest.raises(TrainingError, match="'Momentum' is not an option for solver 'adam'"):
        trainingOptions("adam", Momentum=0.9)


def test_bad_values_and_solver():
    with pytest.raises(TrainingError, match="'MaxEpochs' is invalid.*positive integer"):
        trainingOptions("sgdm", MaxEpochs=0)
    with pytest.raises(TrainingError, match="'Momentum'"):
        trainingOptions("sgdm", Momentum=1.5)
    with pytest.raises(TrainingError, match="'Shuffle'"):
        trainingOptions("sgdm", Shuffle="sometimes")
    with pytest.raises(TrainingError, match="solverName"):
        trainingOptions("lbfgsx")
    with pytest.raises(TrainingError, match="pairs"):
        trainingOptions("sgdm", "MaxEpochs")
    o = trainingOptions("sgdm", SequenceLength=20, GradientThreshold=1, ValidationPatience=5)
    assert (o.SequenceLength, o.GradientThreshold, o.ValidationPatience) == (20, 1.0, 5)


def test_display_header_and_values():
    text = str(trainingOptions("sgdm"))
    assert text.startswith("  TrainingOptionsSGDM with properties:\n")
    assert "        Momentum: 0.9000" in text.replace("                ", "        ", 1) or "Momentum: 0.9000" in text
    assert "L2Regularization: 1.0000e-04" in text
    assert "GradientThreshold: Inf" in text
    assert "Shuffle: 'once'" in text
    assert "TrainingOptionsADAM" in str(trainingOptions("adam"))
