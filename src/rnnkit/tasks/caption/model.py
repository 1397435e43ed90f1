"""The captioner: a small CNN reads the image into a grid of feature vectors, each beside a
learned embedding of its cell, and the attention decoder of layers/seq2seq.py writes the
caption while attending over the grid (Xu et al. 2015, "Show, Attend and Tell"). Unlike Xu
et al., the decoder does not start from the grid's mean feature: it starts from a learned
state (the bridge reads zeros), so everything it knows of the image comes through attention.
With the mean as a shortcut, a small decoder learns the caption from the mean and uses the
attention as a free memory, looking at empty cells.

Why an embedding per cell and not the cell's (row, column) as two numbers: a bilinear score
qᵀ W k is linear in the coordinates, so its softmax can only peak at the grid's edges; with
one learned vector per cell, the decoder can look at any cell."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.layers.seq2seq import AttentionDecoder, EncoderDecoder
from rnnkit.tasks.decoder import decoder_network


class ConvEncoder(nn.Module):
    """Image (B, 3, H, W) -> (grid features (B, S, K) with S = (H/8)(W/8), [zeros (B, K)]).
    K = channels + position_size: every cell's features beside its cell's learned embedding."""

    def __init__(self, channels: int = 64, dropout: float = 0.0, image_size: int = 48,
                 position_size: int = 16) -> None:
        super().__init__()
        # receptive field of a cell: 14 pixels, its own 8 and 3 on each side, so a cell's
        # features tell what lies in that cell and the attention must look where a shape is
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Dropout(dropout))
        self.cell = 8  # pixels per grid cell
        self.side = image_size // self.cell
        self.position = nn.Parameter(0.1 * torch.randn(self.side * self.side, position_size))
        self.output_size = channels + position_size
        self.final_sizes = [self.output_size]

    def forward(self, images: Tensor, lengths: Tensor | None = None):
        features = self.net(images).flatten(2).transpose(1, 2)  # (B, S, C), S = h·w
        where = self.position[None].expand(features.shape[0], -1, -1)  # (B, S, P)
        grid = torch.cat([features, where], -1)  # (B, S, K)
        return grid, [grid.new_zeros(grid.shape[0], grid.shape[2])]


def build_captioner(config, vocab: int) -> EncoderDecoder:
    encoder = ConvEncoder(config.channels, config.dropout)
    decoder = AttentionDecoder(decoder_network(config), vocab, config.embedding_size, encoder,
                               config.attention)
    return EncoderDecoder(encoder, decoder)
