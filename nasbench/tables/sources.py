"""Where each dataset comes from, its licence and how to cite it: the one home of those
facts (TABLE.md reads them; a test checks every registered dataset has an entry).

Kept here, free of torch, so that a table's datasheet renders on a light install. Licences
are as stated by the dataset's authors to the best of our knowledge; where the authors state
none we say "not stated" rather than guess.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetSource:
    """Origin, licence and citation of one dataset."""

    title: str
    licence: str
    url: str
    citation: str


SOURCES: dict[str, DatasetSource] = {
    "digits": DatasetSource(
        "scikit-learn's 8x8 digits: a copy of the test set (optdigits.tes, 1,797 images) of "
        "the UCI Optical Recognition of Handwritten Digits data set",
        "CC BY 4.0 (the UCI Machine Learning Repository's licence for the data set)",
        "https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
        "E. Alpaydin and C. Kaynak. Optical Recognition of Handwritten Digits. UCI Machine "
        "Learning Repository, 1998. https://doi.org/10.24432/C50P49"),
    "mnist": DatasetSource(
        "MNIST handwritten digits",
        "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes hold the copyright)",
        "http://yann.lecun.com/exdb/mnist/",
        "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner. Gradient-based learning applied to "
        "document recognition. Proceedings of the IEEE 86(11), 1998"),
    "fashion_mnist": DatasetSource(
        "Fashion-MNIST (Zalando article images)",
        "MIT",
        "https://github.com/zalandoresearch/fashion-mnist",
        "H. Xiao, K. Rasul and R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
        "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017"),
    "cifar10": DatasetSource(
        "CIFAR-10", "not stated by the authors",
        "https://www.cs.toronto.edu/~kriz/cifar.html",
        "A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images. Technical "
        "report, University of Toronto, 2009"),
    "cifar100": DatasetSource(
        "CIFAR-100", "not stated by the authors",
        "https://www.cs.toronto.edu/~kriz/cifar.html",
        "A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images. Technical "
        "report, University of Toronto, 2009"),
    "svhn": DatasetSource(
        "SVHN (Street View House Numbers), cropped digits",
        "not stated by the authors (their download page marks the data 'for non-commercial "
        "use only')",
        "http://ufldl.stanford.edu/housenumbers/",
        "Y. Netzer, T. Wang, A. Coates, A. Bissacco, B. Wu and A. Y. Ng. Reading Digits in "
        "Natural Images with Unsupervised Feature Learning. NIPS Workshop on Deep Learning "
        "and Unsupervised Feature Learning, 2011"),
}

#: How to cite a nasbench table: the benchmark, the space's paper, and the dataset.
CITE_BENCHMARK = ("nasbench {version}, a tabular NAS benchmark for the PNAS cell space "
                  "(git commit {git_commit}): table `{table}`, protocol_hash "
                  "`{protocol_hash}`")
CITE_PAPERS = (
    "C. Liu, B. Zoph, M. Neumann, J. Shlens, W. Hua, L.-J. Li, L. Fei-Fei, A. Yuille, "
    "J. Huang and K. Murphy. Progressive Neural Architecture Search. ECCV 2018",
    "I. Radosavovic, J. Johnson, S. Xie, W.-Y. Lo and P. Dollar. On Network Design Spaces "
    "for Visual Recognition. ICCV 2019",
)


def source_of(dataset: str | None) -> DatasetSource | None:
    """The dataset's source, or None for a dataset we know nothing about (e.g. synthetic)."""
    return SOURCES.get(str(dataset).strip().lower().replace("-", "_")) if dataset else None
