"""Language-model benchmark (issue: the main job).

- training tokens/s of rnnkit's fit() vs a plain PyTorch loop of the same model
  (nn.Embedding + nn.LSTM + nn.Linear, same data, batch, window, Adam, clipping), same run;
- generation characters/s: rnnkit's incremental generation vs a naive loop that feeds the
  whole history again at every step.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time

import torch
from torch import nn

from rnnkit.run import prepare
from rnnkit.tasks.lm.model import generate
from rnnkit.tasks.lm.spec import LMConfig
from rnnkit.train.fit import fit


class PlainLM(nn.Module):
    def __init__(self, vocab: int, embedding: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embedding(x), state)
        return self.head(out), state


def plain_training(task, vocab_size: int, config: LMConfig, steps: int) -> float:
    """Tokens/s of the textbook PyTorch loop on the same windows."""
    torch.manual_seed(config.seed)
    model = PlainLM(vocab_size, config.embedding_size, config.hidden_size, config.num_layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    state, tokens = None, 0
    start = time.perf_counter()
    for window in range(steps):
        x, y, _ = task.train.window(window % len(task.train))
        logits, state = model(x, state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
        optimizer.step()
        state = tuple(s.detach() for s in state)
        tokens += y.numel()
    return tokens / (time.perf_counter() - start)


def rnnkit_training(config: LMConfig, steps: int) -> tuple[float, object]:
    """Tokens/s of rnnkit's fit() (no evaluation inside the timed steps)."""
    setup = prepare("lm", config)
    task, model = setup.task, setup.model
    tokens, start = 0, time.perf_counter()
    for event in fit(model, task, config, setup.run_dir, setup.device):
        if event["event"] == "step":
            tokens += task.train.batch_size * task.train.bptt
            if event["step"] == steps:
                break
    return tokens / (time.perf_counter() - start), (task, model)


def naive_generate(model, vocab, prime: str, length: int) -> str:
    """Re-reads the whole history at every step: O(length²) work."""
    ids = vocab.encode(prime)
    with torch.no_grad():
        for _ in range(length):
            logits, _ = model(torch.tensor([ids]))
            ids.append(int(logits[0, -1].argmax()))
    return vocab.decode(ids)


def run(quick: bool = False) -> str:
    steps = 10 if quick else 30
    lines = ["## Language model: training and generation speed, CPU", ""]
    lines += ["| model (B, T) | rnnkit fit() tok/s | plain PyTorch tok/s | ratio |",
              "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for hidden, layers in ((256, 2), (512, 1)):
            config = LMConfig(dataset="shakespeare", out=f"{folder}/run{hidden}", hidden_size=hidden,
                              num_layers=layers, embedding_size=64, batch_size=64, bptt=100,
                              eval_every=10_000, ngram_order=0, max_steps=steps, clip_norm=5.0)
            ours, (task, model) = rnnkit_training(config, steps)
            plain = plain_training(task, len(task.vocab), config, steps)
            ours2, _ = rnnkit_training(dataclasses.replace(config, overwrite=True), steps)
            plain2 = plain_training(task, len(task.vocab), config, steps)
            ours, plain = max(ours, ours2), max(plain, plain2)  # best of two each, interleaved
            lines.append(f"| {layers}x{hidden} LSTM (64, 100) | {ours:,.0f} | {plain:,.0f} | "
                         f"{ours / plain:.2f}x |")
        model.eval()
        for length in ((200,) if quick else (500, 1000)):
            start = time.perf_counter()
            generate(model, task.vocab, "ROMEO:", length, greedy=True)
            incremental = length / (time.perf_counter() - start)
            start = time.perf_counter()
            naive_generate(model, task.vocab, "ROMEO:", length)
            naive = length / (time.perf_counter() - start)
            lines.append(f"Generation of {length} characters (1x512 LSTM, greedy): incremental "
                         f"{incremental:,.0f} chars/s, naive re-feeding {naive:,.0f} chars/s: "
                         f"{incremental / naive:.1f}x")
        lines.append("")
    return "\n".join(lines)
