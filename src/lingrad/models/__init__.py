"""scikit-learn compatible estimators, one file per family of the lectures."""

from lingrad.models.bipolar import BipolarSigmoidClassifier
from lingrad.models.linear import LinearRegression
from lingrad.models.logistic import LogisticRegression
from lingrad.models.network import TwoLayerNetwork
from lingrad.models.perceptron import MulticlassPerceptron, Perceptron
from lingrad.models.residual import ResidualNetwork
from lingrad.models.softmax import SoftmaxRegression
from lingrad.models.standardized import Standardized

__all__ = [
    "BipolarSigmoidClassifier",
    "LinearRegression",
    "LogisticRegression",
    "MulticlassPerceptron",
    "Perceptron",
    "ResidualNetwork",
    "SoftmaxRegression",
    "Standardized",
    "TwoLayerNetwork",
]
