"""One step of each recurrent cell: the equations, nothing else."""

from rnnkit.cells.base import INIT_SCHEMES, RecurrentCell
from rnnkit.cells.elman import ElmanCell
from rnnkit.cells.gru import GRUCell
from rnnkit.cells.lstm import LSTMCell, LSTMState

__all__ = ["INIT_SCHEMES", "ElmanCell", "GRUCell", "LSTMCell", "LSTMState", "RecurrentCell"]
