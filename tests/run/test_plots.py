"""The training curves: training and validation loss over steps, the baseline's line beside."""

from rnnkit.diagnostics.plots import pyplot
from rnnkit.run.plots import curves_figure


def test_the_baseline_is_drawn_beside_the_curves():
    figure = curves_figure([{"step": 10, "valid_loss": 2.0}, {"step": 20, "valid_loss": 1.8}],
                           [(1, 3.0), (20, 1.9)], {"order": 5, "loss": 1.67})
    axes = figure.axes[0]
    labels = [line.get_label() for line in axes.lines]
    assert labels == ["training (smoothed)", "validation", "5-gram (validation)"]
    assert list(axes.lines[2].get_ydata()) == [1.67, 1.67]
    assert axes.get_xlabel() == "step" and axes.get_ylabel().startswith("loss")
    pyplot().close(figure)


def test_no_baseline_no_line():
    figure = curves_figure([{"step": 10, "valid_loss": 2.0}], [(1, 3.0)], {"majority": {}})
    assert [line.get_label() for line in figure.axes[0].lines] == ["training (smoothed)",
                                                                    "validation"]
    pyplot().close(figure)
