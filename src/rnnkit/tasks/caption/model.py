"""The captioner: a small CNN reads the image into a grid of feature vectors (each with its
row and column), and the attention decoder of layers/seq2seq.py writes the caption while
attending over the grid (Xu et al. 2015, "Show, Attend and Tell"). The decoder starts from the
grid's mean feature, through the bridge."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.layers.seq2seq import AttentionDecoder, EncoderDecoder
from rnnkit.tasks.seq2seq.model import decoder_network


class ConvEncoder(nn.Module):
    """Image (B, 3, H, W) -> (grid features (B, S, K) with S = (H/8)(W/8), [mean feature (B, K)]).
    K = channels + 2: every cell's features beside its (row, column) in [-1, 1]."""

    def __init__(self, channels: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Dropout(dropout))
        self.output_size = channels + 2
        self.final_sizes = [self.output_size]
        self.cell = 8  # pixels per grid cell

    def forward(self, images: Tensor, lengths: Tensor | None = None):
        features = self.net(images)  # (B, C, h, w)
        B, _, h, w = features.shape
        rows = torch.linspace(-1, 1, h, device=images.device)[:, None].expand(h, w)
        columns = torch.linspace(-1, 1, w, device=images.device)[None, :].expand(h, w)
        where = torch.stack([rows, columns])[None].expand(B, 2, h, w)
        grid = torch.cat([features, where], 1).flatten(2).transpose(1, 2)  # (B, h·w, K)
        return grid, [grid.mean(1)]


def build_captioner(config, vocab: int) -> EncoderDecoder:
    encoder = ConvEncoder(config.channels, config.dropout)
    decoder = AttentionDecoder(decoder_network(config), vocab, config.embedding_size, encoder,
                               config.attention)
    return EncoderDecoder(encoder, decoder)
