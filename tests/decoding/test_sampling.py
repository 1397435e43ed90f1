"""Choosing the next token: greedy, temperature, top-k, top-p; banned ids never come out;
impossible settings are named."""

import pytest
import torch

from rnnkit.decoding import sample_next
from rnnkit.errors import ConfigError


def test_sampling_controls():
    logits = torch.tensor([0.0, 3.0, 1.0, 2.0])
    assert sample_next(logits, greedy=True) == 1
    g = torch.Generator().manual_seed(0)
    draws = {sample_next(logits, top_k=2, generator=g) for _ in range(200)}
    assert draws == {1, 3}
    draws = {sample_next(logits, top_p=0.5, generator=g) for _ in range(200)}
    assert draws == {1}  # the likeliest token alone holds more than half the mass
    seeded = [sample_next(logits, temperature=1.5, generator=torch.Generator().manual_seed(5))
              for _ in range(3)]
    assert len(set(seeded)) == 1


def test_a_banned_token_is_never_chosen_even_when_likeliest():
    logits = torch.tensor([10.0, 0.0, 0.0])
    assert sample_next(logits, greedy=True, banned=(0,)) in (1, 2)
    g = torch.Generator().manual_seed(0)
    assert 0 not in {sample_next(logits, generator=g, banned=(0,)) for _ in range(300)}


def test_a_tiny_temperature_is_greedy_not_a_crash():
    logits = torch.tensor([0.0, 3.0, 1.0])
    assert sample_next(logits, temperature=1e-45) == 1


@pytest.mark.parametrize("settings, message", [
    ({"temperature": float("nan")}, "--temperature must be a finite number >= 0"),
    ({"temperature": -1.0}, "--temperature must be a finite number >= 0"),
    ({"top_p": 0.0}, r"--top-p must be in \(0, 1\]"),
    ({"top_k": -1}, "--top-k must be >= 0"),
])
def test_impossible_settings_are_named(settings, message):
    with pytest.raises(ConfigError, match=message):
        sample_next(torch.zeros(3), **settings)
