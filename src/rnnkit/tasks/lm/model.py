"""The language model: embedding -> rnnkit layer -> linear head; its loss, metrics, generation."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import SEED_LIMIT
from rnnkit.data.batching import StreamBatches
from rnnkit.data.vocab import Vocabulary
from rnnkit.decoding import check_sampling, sample_next
from rnnkit.errors import ConfigError
from rnnkit.layers.config import RecurrentConfig
from rnnkit.layers.modes import evaluating
from rnnkit.state import map_state


class LanguageModel(nn.Module):
    """p(x_{t+1} | x_≤t) = softmax(V s_t + b) with s_t from any rnnkit layer over embeddings.

    `tie_weights` shares the embedding matrix with the output layer (Press & Wolf 2017); it
    needs the layer's output size (hidden_size, or proj_size) to equal embedding_size.
    """

    def __init__(self, vocab_size: int, embedding_size: int, network: RecurrentConfig,
                 tie_weights: bool = False) -> None:
        super().__init__()
        if network.bidirectional:
            raise ConfigError("a language model reads left to right: --bidirectional cannot be used")
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.rnn = network.build(embedding_size)
        self.dropout = nn.Dropout(network.dropout)
        self.head = nn.Linear(self.rnn.output_size, vocab_size)
        if tie_weights:
            if self.rnn.output_size != embedding_size:
                raise ConfigError(
                    f"tie_weights needs embedding_size == the layer's output size "
                    f"({self.rnn.output_size}), got embedding_size={embedding_size}"
                )
            self.head.weight = self.embedding.weight

    def forward(self, tokens: Tensor, state=None, resets: Tensor | None = None):
        """tokens (B, T) -> logits (B, T, V), final state. `resets` (B, T) bool: the state of a
        row returns to the initial state before that step (a new document begins)."""
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        if resets is None or not bool(resets.any()):
            out, state = self.rnn(x, state=state)
        else:
            out, state = self._run_with_resets(x, state, resets)
        return self.head(self.dropout(out)), state

    def _run_with_resets(self, x: Tensor, state, resets: Tensor):
        """Split the window at the columns where some row resets; exact and rare."""
        B, T, _ = x.shape
        cuts = sorted(set(torch.nonzero(resets.any(0)).flatten().tolist()) | {0, T})
        fresh = self.rnn.initial_state(B, like=x)
        pieces = []
        for start, end in zip(cuts[:-1], cuts[1:]):
            if state is None:
                state = fresh
            keep = ~resets[:, start].view(1, B, 1)
            state = map_state(lambda s, f, keep=keep: torch.where(keep, s, f), state, fresh)
            out, state = self.rnn(x[:, start:end], state=state)
            pieces.append(out)
        return torch.cat(pieces, dim=1), state


def token_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy in nats per token."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def metrics_from_loss(loss: float, level: str) -> dict:
    """Loss in nats/token, perplexity, and bits per character (char level) or per token."""
    bits = "bits_per_char" if level == "char" else "bits_per_token"
    return {"loss": loss, "perplexity": math.exp(min(loss, 700.0)), bits: loss / math.log(2)}


def evaluate_stream(model: LanguageModel, batches: StreamBatches, level: str,
                    max_windows: int = 0, device=None) -> dict:
    """Metrics over the stream, state carried window to window as in training."""
    total, count = stream_sums(model, batches, max_windows, device)
    return metrics_from_loss(total / count, level)


@torch.no_grad()
def stream_sums(model: LanguageModel, batches: StreamBatches, max_windows: int = 0,
                device=None) -> tuple[float, int]:
    """(sum of the token losses in nats, tokens) over the first `max_windows` windows of the
    stream (all when 0), state carried window to window as in training."""
    state, total, count = None, 0.0, 0
    windows = len(batches) if not max_windows else min(max_windows, len(batches))
    with evaluating(model):
        for i in range(windows):
            x, y, resets = (t.to(device) for t in batches.window(i))
            logits, state = model(x, state, resets)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                     reduction="sum").item()
            count += y.numel()
    return total, count


@torch.no_grad()
def generate(model: LanguageModel, vocab: Vocabulary, prime: str = "", length: int = 200, *,
             temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, greedy: bool = False,
             seed: int | None = None, device=None) -> str:
    """The prime followed by `length` generated tokens. The prime is read once; then each new
    token is one step from the carried state (the history is never fed again)."""
    check_sampling(temperature, top_k, top_p)
    if length < 0:
        raise ConfigError(f"--length must be >= 0, got {length}")
    if seed is not None and not 0 <= seed <= SEED_LIMIT:
        raise ConfigError(f"--seed must be in 0..{SEED_LIMIT}, got {seed}")
    ids = vocab.encode(prime, strict=True) if prime else []
    if not ids:
        ids = [vocab.index.get("\n", 1 if len(vocab) > 1 else 0)]
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    new = []
    with evaluating(model):
        logits, state = model(torch.tensor([ids], device=device))
        for _ in range(length):
            token = sample_next(logits[0, -1].cpu(), temperature=temperature, top_k=top_k,
                                top_p=top_p, greedy=greedy, generator=generator,
                                banned=(vocab.unknown_id,))
            new.append(token)
            logits, state = model(torch.tensor([[token]], device=device), state)
    text = vocab.decode(new)
    if not prime:
        return text
    joiner = "" if vocab.level == "char" or not new else " "
    return prime + joiner + text


def diagnosis_inputs(model: LanguageModel, tokens: Tensor, targets: Tensor):
    """(layer, embedded inputs, per-step loss function) for `rnnkit.diagnostics.diagnose`."""
    x = model.embedding(tokens)  # (B, T, E)

    def step_losses(outputs: Tensor) -> Tensor:  # (B, T)
        logits = model.head(outputs)
        return F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")

    return model.rnn, x, step_losses
