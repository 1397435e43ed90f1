"""State trees and length masks: one set of helpers for tensors and (h, c) tuples alike."""

import torch

from rnnkit.cells import LSTMState
from rnnkit.state import (
    detach_state,
    flatten_state,
    length_mask,
    map_state,
    reverse_within_lengths,
    stack_states,
    state_from_leaves,
    state_leaves,
    unflatten_state,
    unstack_states,
)


def lstm_state():
    return LSTMState(torch.randn(2, 3, requires_grad=True), torch.randn(2, 3, requires_grad=True))


def test_map_keeps_the_structure_of_tuples_and_tensors():
    state = lstm_state()
    doubled = map_state(lambda leaf: 2 * leaf, state)
    assert isinstance(doubled, LSTMState) and torch.equal(doubled.c, 2 * state.c)
    assert torch.equal(map_state(torch.neg, state.h), -state.h)


def test_detach_cuts_the_graph_and_keeps_the_values():
    state = lstm_state()
    detached = detach_state(map_state(lambda leaf: leaf * 3, state))
    assert all(leaf.grad_fn is None and not leaf.requires_grad for leaf in detached)
    assert torch.equal(detached.h, state.h.detach() * 3)


def test_flatten_and_unflatten_are_inverses():
    for state in (lstm_state(), torch.randn(2, 5)):
        vector = flatten_state(state)
        assert vector.shape == (sum(leaf.numel() for leaf in state_leaves(state)),)
        back = unflatten_state(vector, state)
        assert all(torch.equal(a, b) for a, b in zip(state_leaves(back), state_leaves(state)))
        assert type(back) is type(state)


def test_leaves_and_templates():
    state = lstm_state()
    assert state_leaves(None) == () and len(state_leaves(state)) == 2
    rebuilt = state_from_leaves(state, (state.c, state.h))
    assert isinstance(rebuilt, LSTMState) and rebuilt.h is state.c
    assert state_from_leaves(state.h, [state.c]) is state.c


def test_stack_and_unstack_are_inverses():
    cells = [lstm_state() for _ in range(3)]
    stacked = stack_states(cells)
    assert stacked.h.shape == (3, 2, 3)
    for a, b in zip(unstack_states(stacked), cells):
        assert torch.equal(a.h, b.h) and torch.equal(a.c, b.c)


def test_length_mask_marks_the_steps_inside_each_sequence():
    mask = length_mask(torch.tensor([3, 1, 4]), 4)
    assert mask.tolist() == [[True, True, True, False], [True, False, False, False], [True] * 4]


def test_reversal_within_lengths_leaves_padding_and_is_its_own_inverse():
    x = torch.arange(12.0).view(2, 6, 1)
    lengths = torch.tensor([4, 6])
    reversed_ = reverse_within_lengths(x, lengths)
    assert reversed_[0, :, 0].tolist() == [3, 2, 1, 0, 4, 5]  # padding (steps 4, 5) stays put
    assert reversed_[1, :, 0].tolist() == [11, 10, 9, 8, 7, 6]
    assert torch.equal(reverse_within_lengths(reversed_, lengths), x)
    assert torch.equal(reverse_within_lengths(x, None), x.flip(1))
