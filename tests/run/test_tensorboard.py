"""--tensorboard writes event files TensorBoard reads: losses, learning rate, pre-clip gradient
norm, validation figures, and the gradient-flow heat map as an image."""

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rnnkit.run import train


def test_a_run_writes_scalars_and_the_heat_map(tmp_path):
    train("adding", {"seq_len": 10, "hidden_size": 8, "batch_size": 8, "valid_size": 16,
                     "max_steps": 6, "eval_every": 3, "diagnose_every": 2, "tensorboard": True,
                     "device": "cpu", "out": str(tmp_path / "run")})
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard")).Reload()
    scalars = events.Tags()["scalars"]
    assert {"train/loss", "train/lr", "train/grad_norm", "valid/loss"} <= set(scalars)
    assert [e.step for e in events.Scalars("train/loss")] == [1, 2, 3, 4, 5, 6]
    assert [e.step for e in events.Scalars("valid/loss")] == [3, 6]
    images = events.Images("diagnosis/gradient_flow")
    assert [e.step for e in images] == [4, 6] and images[0].width > 0
