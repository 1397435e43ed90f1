"""The verdict: vanishing, exploding or healthy, with the reasons and what to do.

Thresholds (all configurable through `Thresholds`):
- vanishing: the last step's gradient ‖∂L_T/∂s_t‖ falls by more than `vanishing_factor`
  (default 1e3) between s_T and the first step;
- exploding: it grows by more than `exploding_factor` (1e3) going back, or a pre-clip
  gradient norm of training is non-finite or `jump_factor` (100) times its running average
  (an exponential average, weight 0.9, of the norms before it);
- what the trained model's own gradient does comes first: a model whose gradient vanishes now
  is "vanishing" even if training once saw a jump (that jump is then a reason, and its advice
  is added), while a gradient that grows going back, or a non-finite one, is "exploding";
- saturated (a flag, reported with either verdict): some sigmoid/tanh quantity has more than
  `saturation_fraction` (0.5) of its units saturated (or of its relu units dead).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from rnnkit.cells import GRUCell, LSTMCell
from rnnkit.diagnostics.flow import gradient_flow, jacobian_products
from rnnkit.diagnostics.inspect import gate_saturation, recurrent_spectrum
from rnnkit.errors import ConfigError

NOT_A_CURE = "a shorter truncation (--bptt) is not a cure: it only hides the lost dependencies"
ADVICE = {
    "vanishing": [
        "use an LSTM or GRU: their additive state carries the gradient back",
        "initialise W_hh orthogonal (--init orthogonal) or as the identity with relu "
        "(--init identity --nonlinearity relu, the IRNN)",
        NOT_A_CURE,
    ],
    "exploding": [
        "clip the gradient by norm (--clip-norm); a threshold near the running average of the "
        "pre-clip norms works well (Pascanu et al. 2013)",
        "lower the learning rate",
        "initialise W_hh with spectral radius at most 1 (--init orthogonal)",
    ],
    # what a gated cell's vanishing gradient calls for: its gates, not another cell
    "vanishing lstm": [
        "the forget gate closes too soon for this span: initialise the gate biases for the "
        "lengths the task needs (--chrono T_max, Tallec & Ollivier 2018; --chrono -1 takes the "
        "sequence length), or raise --forget-bias",
        "layer norm (--layer-norm) keeps the gates out of saturation; --init orthogonal helps "
        "W_hh carry the state",
        NOT_A_CURE,
    ],
    "vanishing gru": [
        "the update gate lets the state be overwritten too soon for this span: initialise "
        "W_hh orthogonal (--init orthogonal) and normalise the gates' inputs (--layer-norm)",
        "an LSTM with --chrono T_max sets its memory's time scale from the start",
        NOT_A_CURE,
    ],
    "saturated": [
        "saturated gates pass almost no gradient: try --layer-norm, smaller initial weights, "
        "or normalised inputs",
    ],
}


@dataclass(frozen=True)
class Thresholds:
    vanishing_factor: float = 1e3
    exploding_factor: float = 1e3
    jump_factor: float = 100.0
    saturation_fraction: float = 0.5

    def __post_init__(self) -> None:
        for name in ("vanishing_factor", "exploding_factor", "jump_factor"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 1):
                raise ConfigError(f"{name} must be a finite number > 1, got {value}")
        if not 0 < self.saturation_fraction <= 1:
            raise ConfigError(f"saturation_fraction must be in (0, 1], got "
                              f"{self.saturation_fraction}")


def judge(flow: dict, saturation: dict | None = None, grad_norms: list[float] | None = None,
          thresholds: Thresholds = Thresholds(), cell: str = "elman") -> dict:
    """{"verdict", "saturated", "reasons", "advice"} from the measured figures; the advice fits
    the `cell` ("elman", "lstm" or "gru") that was measured."""
    reasons, vanishing, exploding, jumped = [], False, False, False
    for key, norms in flow["last_loss"].items():
        last, first = norms[-1], norms[0]
        if last <= 0 or not math.isfinite(last):
            continue
        if not math.isfinite(first):
            exploding = True
            reasons.append(f"{key}: the gradient is not finite at the first step")
            continue
        ratio = first / last
        if ratio < 1 / thresholds.vanishing_factor:
            vanishing = True
            within = next(k for k in range(len(norms))
                          if norms[-1 - k] / last < 1 / thresholds.vanishing_factor)
            reasons.append(f"{key}: ‖∂L_T/∂s_t‖ falls by more than {thresholds.vanishing_factor:g}x "
                           f"within {within} steps (to {ratio:.1e} of its value at s_T over "
                           f"{len(norms) - 1} steps)")
        elif ratio > thresholds.exploding_factor:
            exploding = True
            reasons.append(f"{key}: ‖∂L_T/∂s_t‖ grows by {ratio:.1e}x going back "
                           f"{len(norms) - 1} steps")
    if grad_norms:
        average = None
        for step, norm in enumerate(grad_norms, start=1):
            if not math.isfinite(norm):
                exploding = True
                reasons.append(f"training step {step}: the pre-clip gradient norm is not finite")
                break
            if average is not None and norm > thresholds.jump_factor * average:
                jumped = True
                reasons.append(f"training step {step}: pre-clip gradient norm {norm:.3g} is "
                               f"{norm / average:.0f}x its running average {average:.3g}")
                break
            average = norm if average is None else 0.9 * average + 0.1 * norm
    saturated = []
    for key, gates in (saturation or {}).items():
        for gate, fraction in gates.items():
            if fraction > thresholds.saturation_fraction:
                saturated.append(f"{key}.{gate}")
    if saturated:
        reasons.append(f"saturated (more than {thresholds.saturation_fraction:.0%} of units): "
                       + ", ".join(saturated))
    verdict = ("exploding" if exploding else "vanishing" if vanishing else
               "exploding" if jumped else "healthy")
    advice = list(ADVICE.get(f"{verdict} {cell}", ADVICE.get(verdict, [])))
    if jumped and verdict == "vanishing":
        advice += [line for line in ADVICE["exploding"] if line not in advice]
    advice += ADVICE["saturated"] if saturated else []
    if verdict == "healthy" and not reasons:
        reasons.append("the gradient of the last loss reaches the first step within a factor of "
                       f"{thresholds.vanishing_factor:g}; no gradient-norm jumps")
    return {"verdict": verdict, "saturated": bool(saturated), "reasons": reasons, "advice": advice}


def cell_kind(layer) -> str:
    """"lstm", "gru" or "elman": the kind of the layer's cells."""
    cell = next((m for m in layer.modules() if isinstance(m, (LSTMCell, GRUCell))), None)
    return "lstm" if isinstance(cell, LSTMCell) else "gru" if cell is not None else "elman"


def diagnose(layer, x, step_losses, *, grad_norms: list[float] | None = None,
             thresholds: Thresholds = Thresholds(), jacobian_steps: int = 50) -> dict:
    """Everything at once, JSON-ready: flow, Jacobian products, spectrum, saturation, verdict."""
    flow = gradient_flow(layer, x, step_losses)
    saturation = gate_saturation(layer, x)
    report = {
        "flow": flow,
        "jacobian_products": jacobian_products(layer, x, jacobian_steps),
        "spectrum": recurrent_spectrum(layer),
        "saturation": saturation,
        "thresholds": asdict(thresholds),
    }
    report.update(judge(flow, saturation, grad_norms, thresholds, cell_kind(layer)))
    return report
