"""See inside BPTT: gradient flow through time, Jacobian products, spectra, gate saturation,
and a verdict (vanishing, exploding, healthy) with its reasons and advice.

The library returns data (plain dicts and lists, JSON-ready); the CLI prints and draws.
"""

from rnnkit.diagnostics.flow import gradient_flow, jacobian_products
from rnnkit.diagnostics.inspect import gate_saturation, recurrent_spectrum
from rnnkit.diagnostics.verdict import Thresholds, diagnose, judge

__all__ = [
    "Thresholds",
    "diagnose",
    "gate_saturation",
    "gradient_flow",
    "jacobian_products",
    "judge",
    "recurrent_spectrum",
]
