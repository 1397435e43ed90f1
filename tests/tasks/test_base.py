"""The Task protocol's shared defaults: windows shared out by rank, the default diagnosis."""

import pytest
import torch

from rnnkit.layers import GRU
from rnnkit.tasks.base import Task, TaskBase, check_shard, last_step_losses


class Squares(TaskBase):
    """A tiny task: 7 windows; the loss of a GRU's last output."""

    def __init__(self):
        torch.manual_seed(0)
        self.x = torch.randn(4, 6, 3)

    def epoch_windows(self):
        return 7

    def window_loss(self, model, epoch, window, state):
        return model(self.x)[0][:, -1].pow(2).mean(), None, window

    def evaluate(self, model):
        return {"loss": 0.0}

    def meta(self):
        return {"name": "squares"}

    def example_inputs(self):
        return (self.x,)

    def diagnosis_inputs(self, model):
        return model, self.x, lambda outputs: last_step_losses(outputs,
                                                              lambda: outputs[:, -1].pow(2).sum(-1))


def test_a_task_base_subclass_follows_the_protocol():
    assert isinstance(Squares(), Task)


def test_windows_are_shared_out_by_rank():
    task = Squares()
    seen = []
    for rank in range(3):
        task.shard(rank, 3)
        seen += [task.train_loss(GRU(3, 4), 0, w, None)[2] for w in range(task.windows_per_epoch())]
    assert sorted(seen) == list(range(6))  # 2 each, disjoint; the 7th would make rank 0 wait
    with pytest.raises(ValueError, match="0 <= rank < world_size"):
        check_shard(3, 3)


def test_last_step_losses_put_the_loss_at_the_end():
    outputs = torch.ones(2, 5, 3)
    losses = last_step_losses(outputs, lambda: torch.tensor([1.0, 2.0]))
    assert losses[:, :-1].abs().sum() == 0 and losses[:, -1].tolist() == [1.0, 2.0]


def test_the_default_diagnosis_runs_in_evaluation_mode_and_leaves_no_gradients():
    model = GRU(3, 4, dropout=0.0)
    model.train()
    report = Squares().diagnose(model)
    assert report["verdict"] in ("healthy", "vanishing", "exploding")
    assert len(report["flow"]["last_loss"]["layer0.forward"]) == 6
    assert model.training and all(p.grad is None for p in model.parameters())
